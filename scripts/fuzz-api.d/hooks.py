"""What schemathesis cannot generate alone: TOML bodies (workflow
definitions) for PUT /api/v1/workflows/{id}."""

from hypothesis import strategies as st

import schemathesis

# Arbitrary text and a few near-definitions: the deployment must refuse
# what is not a valid definition with 415/422, never 5xx.
schemathesis.openapi.media_type(
    "application/toml",
    st.one_of(
        st.text(max_size=200),
        st.sampled_from(
            [
                'id = "x"\n',
                'id = "fuzz"\nlabel = "Fuzz"\n[[states]]\nid = "a"\nlabel = "A"\n',
                "[[[",
            ]
        ),
    ).map(lambda text: text.encode("utf-8")),
)


# Uploads of each accepted type start as a file of that type does (the
# server reads the type from the content); the rest is arbitrary.
MAGIC = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff\xe0",
    "image/gif": b"GIF89a",
    "image/webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    "application/pdf": b"%PDF-1.4\n",
}
for media_type, magic in MAGIC.items():
    schemathesis.openapi.media_type(
        media_type, st.binary(max_size=64).map(lambda rest, magic=magic: magic + rest)
    )


@schemathesis.hook
def map_query(context, query):
    """A cursor is opaque: only one the server gave is valid, and no
    document can say which, so the fuzzer leaves it out."""
    if query:
        query.pop("cursor", None)
    return query
