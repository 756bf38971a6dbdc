//! Drawings of a workflow (Mermaid, Graphviz dot).
