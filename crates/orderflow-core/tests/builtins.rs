//! The built-in algorithms of the `print-production` workflow: FIFO intake,
//! choosing a production location, and the effect adapter.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use orderflow_core::builtins::intake::{
    self, Bin, Decision, IntakeError, IntakeJob, Inventory, JobIntakeState, Purchase, WaitReason,
};
use orderflow_core::builtins::location::{
    self, AccountSettings, Demand, DemandLine, LinePlacement, Location, NoLocation, Rule,
};
use orderflow_core::builtins::{
    BuiltinError, EFFECT_BUILTINS, EffectOutput, SCHEDULE_BUILTINS, run_effect,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------- intake ---

fn hold(id: &str, seq: u64, sku: &str) -> IntakeJob {
    IntakeJob {
        id: id.to_owned(),
        seq,
        sku: sku.to_owned(),
        printable: true,
        state: JobIntakeState::IntakeHold,
    }
}

fn on_order(id: &str, seq: u64, sku: &str, purchase: &str) -> IntakeJob {
    IntakeJob {
        state: JobIntakeState::OnOrder {
            purchase: purchase.to_owned(),
        },
        ..hold(id, seq, sku)
    }
}

fn unprintable(mut job: IntakeJob) -> IntakeJob {
    job.printable = false;
    job
}

fn bin(id: &str, sku: &str, quantity: u64) -> Bin {
    Bin {
        id: id.to_owned(),
        sku: sku.to_owned(),
        quantity,
    }
}

fn purchase(
    id: &str,
    sku: &str,
    ordered: u64,
    received: u64,
    tied: u64,
    consumed: u64,
) -> Purchase {
    Purchase {
        id: id.to_owned(),
        sku: sku.to_owned(),
        ordered,
        received,
        tied,
        consumed,
    }
}

fn reserve(job: &str, bin: &str) -> Decision {
    Decision::Reserve {
        job: job.to_owned(),
        bin: bin.to_owned(),
        untied: None,
    }
}

fn receive(job: &str, purchase: &str) -> Decision {
    Decision::ReceiveFromPurchase {
        job: job.to_owned(),
        purchase: purchase.to_owned(),
        untied: None,
    }
}

fn tie(job: &str, purchase: &str) -> Decision {
    Decision::TieToPurchase {
        job: job.to_owned(),
        purchase: purchase.to_owned(),
    }
}

fn wait(job: &str, reason: WaitReason) -> Decision {
    Decision::Wait {
        job: job.to_owned(),
        reason,
    }
}

struct Case {
    name: &'static str,
    jobs: Vec<IntakeJob>,
    inventory: Inventory,
    decisions: Vec<Decision>,
    inventory_after: Inventory,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "stock in a bin reserves it",
            jobs: vec![hold("j1", 1, "tee")],
            inventory: Inventory {
                bins: vec![bin("b1", "tee", 2)],
                purchases: vec![],
            },
            decisions: vec![reserve("j1", "b1")],
            inventory_after: Inventory {
                bins: vec![bin("b1", "tee", 1)],
                purchases: vec![],
            },
        },
        Case {
            name: "bin of another SKU does not count",
            jobs: vec![hold("j1", 1, "tee")],
            inventory: Inventory {
                bins: vec![bin("b1", "hoodie", 2)],
                purchases: vec![],
            },
            decisions: vec![wait("j1", WaitReason::NoStock)],
            inventory_after: Inventory {
                bins: vec![bin("b1", "hoodie", 2)],
                purchases: vec![],
            },
        },
        Case {
            name: "lowest bin id with stock is used",
            jobs: vec![hold("j1", 1, "tee"), hold("j2", 2, "tee")],
            inventory: Inventory {
                bins: vec![
                    bin("b9", "tee", 5),
                    bin("b2", "tee", 1),
                    bin("b1", "tee", 0),
                ],
                purchases: vec![],
            },
            decisions: vec![reserve("j1", "b2"), reserve("j2", "b9")],
            inventory_after: Inventory {
                bins: vec![
                    bin("b9", "tee", 4),
                    bin("b2", "tee", 0),
                    bin("b1", "tee", 0),
                ],
                purchases: vec![],
            },
        },
        Case {
            name: "no stock but a purchase open ties the job to it",
            jobs: vec![hold("j1", 1, "tee")],
            inventory: Inventory {
                bins: vec![bin("b1", "tee", 0)],
                purchases: vec![purchase("p1", "tee", 3, 0, 1, 0)],
            },
            decisions: vec![tie("j1", "p1")],
            inventory_after: Inventory {
                bins: vec![bin("b1", "tee", 0)],
                purchases: vec![purchase("p1", "tee", 3, 0, 2, 0)],
            },
        },
        Case {
            name: "a fully tied purchase is not open",
            jobs: vec![hold("j1", 1, "tee")],
            inventory: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 2, 0, 2, 0)],
            },
            decisions: vec![wait("j1", WaitReason::NoStock)],
            inventory_after: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 2, 0, 2, 0)],
            },
        },
        Case {
            name: "received units go to the tied jobs oldest first, before free stock",
            jobs: vec![
                hold("h0", 0, "tee"),
                on_order("o3", 3, "tee", "p1"),
                on_order("o1", 1, "tee", "p1"),
                on_order("o2", 2, "tee", "p1"),
            ],
            inventory: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 3, 2, 3, 0)],
            },
            decisions: vec![
                wait("h0", WaitReason::NoStock),
                receive("o1", "p1"),
                receive("o2", "p1"),
                wait(
                    "o3",
                    WaitReason::AwaitingPurchase {
                        purchase: "p1".to_owned(),
                    },
                ),
            ],
            inventory_after: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 3, 2, 3, 2)],
            },
        },
        Case {
            name: "design not printable waits even with stock",
            jobs: vec![unprintable(hold("j1", 1, "tee")), hold("j2", 2, "tee")],
            inventory: Inventory {
                bins: vec![bin("b1", "tee", 1)],
                purchases: vec![],
            },
            decisions: vec![
                wait("j1", WaitReason::DesignNotPrintable),
                reserve("j2", "b1"),
            ],
            inventory_after: Inventory {
                bins: vec![bin("b1", "tee", 0)],
                purchases: vec![],
            },
        },
        Case {
            name: "stock short: the two oldest of three get it",
            jobs: vec![
                hold("c", 30, "tee"),
                hold("a", 10, "tee"),
                hold("b", 20, "tee"),
            ],
            inventory: Inventory {
                bins: vec![bin("b1", "tee", 1), bin("b2", "tee", 1)],
                purchases: vec![],
            },
            decisions: vec![
                reserve("a", "b1"),
                reserve("b", "b2"),
                wait("c", WaitReason::NoStock),
            ],
            inventory_after: Inventory {
                bins: vec![bin("b1", "tee", 0), bin("b2", "tee", 0)],
                purchases: vec![],
            },
        },
        Case {
            name: "equal seq: the lower id is older",
            jobs: vec![hold("y", 5, "tee"), hold("x", 5, "tee")],
            inventory: Inventory {
                bins: vec![bin("b1", "tee", 1)],
                purchases: vec![],
            },
            decisions: vec![reserve("x", "b1"), wait("y", WaitReason::NoStock)],
            inventory_after: Inventory {
                bins: vec![bin("b1", "tee", 0)],
                purchases: vec![],
            },
        },
        Case {
            name: "an older on_order job takes bin stock before a younger job and frees its tie",
            jobs: vec![on_order("o1", 1, "tee", "p1"), hold("h2", 2, "tee")],
            inventory: Inventory {
                bins: vec![bin("b1", "tee", 1)],
                purchases: vec![purchase("p1", "tee", 1, 0, 1, 0)],
            },
            decisions: vec![
                Decision::Reserve {
                    job: "o1".to_owned(),
                    bin: "b1".to_owned(),
                    untied: Some("p1".to_owned()),
                },
                tie("h2", "p1"),
            ],
            inventory_after: Inventory {
                bins: vec![bin("b1", "tee", 0)],
                purchases: vec![purchase("p1", "tee", 1, 0, 1, 0)],
            },
        },
        Case {
            name: "received units nobody is tied to serve a job at once",
            jobs: vec![hold("j1", 1, "tee")],
            inventory: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 4, 4, 1, 1)],
            },
            decisions: vec![receive("j1", "p1")],
            inventory_after: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 4, 4, 2, 2)],
            },
        },
        Case {
            name: "a tied job that is not printable keeps its tie and does not block the next",
            jobs: vec![
                unprintable(on_order("o1", 1, "tee", "p1")),
                on_order("o2", 2, "tee", "p1"),
            ],
            inventory: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 2, 1, 2, 0)],
            },
            decisions: vec![
                wait("o1", WaitReason::DesignNotPrintable),
                receive("o2", "p1"),
            ],
            inventory_after: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 2, 1, 2, 1)],
            },
        },
        Case {
            name: "units received beyond ordered are not tied",
            jobs: vec![hold("j1", 1, "tee")],
            inventory: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 2, 3, 2, 2)],
            },
            decisions: vec![wait("j1", WaitReason::NoStock)],
            inventory_after: Inventory {
                bins: vec![],
                purchases: vec![purchase("p1", "tee", 2, 3, 2, 2)],
            },
        },
    ]
}

#[test]
fn intake_examples() {
    for case in cases() {
        let out = intake::run(&case.jobs, &case.inventory)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(out.decisions, case.decisions, "{}", case.name);
        assert_eq!(out.inventory, case.inventory_after, "{}", case.name);
        // The same jobs in reverse order decide the same.
        let mut reversed = case.jobs.clone();
        reversed.reverse();
        let again = intake::run(&reversed, &case.inventory).unwrap();
        assert_eq!(again, out, "{} (reversed)", case.name);
    }
}

#[test]
fn intake_shuffled_input_same_result() {
    let jobs = vec![
        hold("j1", 1, "tee"),
        hold("j2", 2, "tee"),
        on_order("j3", 3, "tee", "p1"),
        hold("j4", 4, "hoodie"),
        hold("j5", 5, "tee"),
        hold("j6", 6, "hoodie"),
    ];
    let inventory = Inventory {
        bins: vec![bin("b1", "tee", 1), bin("b2", "hoodie", 1)],
        purchases: vec![
            purchase("p1", "tee", 3, 1, 1, 0),
            purchase("p2", "hoodie", 1, 0, 0, 0),
        ],
    };
    let first = intake::run(&jobs, &inventory).unwrap();
    for order in [[5, 4, 3, 2, 1, 0], [2, 0, 5, 1, 4, 3], [3, 5, 1, 0, 2, 4]] {
        let shuffled: Vec<IntakeJob> = order.iter().map(|&i| jobs[i].clone()).collect();
        assert_eq!(intake::run(&shuffled, &inventory).unwrap(), first);
    }
    assert_eq!(
        first.decisions,
        vec![
            reserve("j1", "b1"),
            tie("j2", "p1"),
            receive("j3", "p1"),
            reserve("j4", "b2"),
            tie("j5", "p1"),
            tie("j6", "p2"),
        ]
    );
}

#[test]
fn intake_wait_reasons_read_as_text() {
    assert_eq!(
        WaitReason::DesignNotPrintable.to_string(),
        "design not printable"
    );
    assert_eq!(WaitReason::NoStock.to_string(), "no stock");
    assert_eq!(
        WaitReason::AwaitingPurchase {
            purchase: "p1".to_owned()
        }
        .to_string(),
        "awaiting purchase p1"
    );
}

#[test]
fn intake_state_after_and_remaining() {
    let jobs = vec![
        hold("a", 1, "tee"),
        hold("b", 2, "tee"),
        hold("c", 3, "tee"),
        on_order("d", 4, "tee", "p1"),
    ];
    let inventory = Inventory {
        bins: vec![bin("b1", "tee", 1)],
        purchases: vec![purchase("p1", "tee", 2, 0, 1, 0)],
    };
    let out = intake::run(&jobs, &inventory).unwrap();
    let states: Vec<&str> = jobs
        .iter()
        .map(|j| out.decision(&j.id).unwrap().state_after(&j.state))
        .collect();
    assert_eq!(states, ["pending", "on_order", "intake_hold", "on_order"]);
    let remaining = out.remaining(&jobs);
    assert_eq!(
        remaining,
        vec![
            on_order("b", 2, "tee", "p1"),
            hold("c", 3, "tee"),
            on_order("d", 4, "tee", "p1"),
        ]
    );
}

#[test]
fn intake_refuses_inconsistent_input() {
    let inv = |purchases| Inventory {
        bins: vec![],
        purchases,
    };
    let cases: Vec<(Vec<IntakeJob>, Inventory, IntakeError)> = vec![
        (
            vec![hold("a", 1, "tee"), hold("a", 2, "tee")],
            inv(vec![]),
            IntakeError::DuplicateJob("a".to_owned()),
        ),
        (
            vec![],
            Inventory {
                bins: vec![bin("b", "tee", 1), bin("b", "cap", 1)],
                purchases: vec![],
            },
            IntakeError::DuplicateBin("b".to_owned()),
        ),
        (
            vec![],
            inv(vec![
                purchase("p", "tee", 1, 0, 0, 0),
                purchase("p", "tee", 1, 0, 0, 0),
            ]),
            IntakeError::DuplicatePurchase("p".to_owned()),
        ),
        (
            vec![],
            inv(vec![purchase("p", "tee", 1, 0, 2, 0)]),
            IntakeError::PurchaseCounts {
                purchase: "p".to_owned(),
                ordered: 1,
                received: 0,
                tied: 2,
                consumed: 0,
            },
        ),
        (
            vec![],
            inv(vec![purchase("p", "tee", 2, 0, 2, 1)]),
            IntakeError::PurchaseCounts {
                purchase: "p".to_owned(),
                ordered: 2,
                received: 0,
                tied: 2,
                consumed: 1,
            },
        ),
        (
            vec![on_order("a", 1, "tee", "nope")],
            inv(vec![]),
            IntakeError::UnknownPurchase {
                job: "a".to_owned(),
                purchase: "nope".to_owned(),
            },
        ),
        (
            vec![on_order("a", 1, "tee", "p")],
            inv(vec![purchase("p", "cap", 1, 0, 1, 0)]),
            IntakeError::SkuMismatch {
                job: "a".to_owned(),
                job_sku: "tee".to_owned(),
                purchase: "p".to_owned(),
                purchase_sku: "cap".to_owned(),
            },
        ),
        (
            vec![on_order("a", 1, "tee", "p"), on_order("b", 2, "tee", "p")],
            inv(vec![purchase("p", "tee", 3, 1, 2, 1)]),
            IntakeError::TooManyTied {
                purchase: "p".to_owned(),
                jobs: 2,
                open_ties: 1,
            },
        ),
    ];
    for (jobs, inventory, expected) in cases {
        assert_eq!(intake::run(&jobs, &inventory), Err(expected));
    }
}

#[test]
fn intake_types_round_trip_through_json() {
    let job = on_order("a", 1, "tee", "p");
    let v = serde_json::to_value(&job).unwrap();
    assert_eq!(
        v,
        json!({"id": "a", "seq": 1, "sku": "tee", "printable": true,
               "state": {"kind": "on_order", "purchase": "p"}})
    );
    assert_eq!(serde_json::from_value::<IntakeJob>(v).unwrap(), job);
    let d = wait("a", WaitReason::NoStock);
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(
        v,
        json!({"decision": "wait", "job": "a", "reason": {"code": "no_stock"}})
    );
    assert_eq!(serde_json::from_value::<Decision>(v).unwrap(), d);
    let p: Purchase =
        serde_json::from_value(json!({"id": "p", "sku": "tee", "ordered": 2, "received": 0}))
            .unwrap();
    assert_eq!(p, purchase("p", "tee", 2, 0, 0, 0));
}

// ------------------------------------------------------- intake properties ---

const SKUS: [&str; 3] = ["tee", "hoodie", "cap"];

#[derive(Debug, Clone)]
struct RawJob {
    seq: u64,
    sku: usize,
    printable: bool,
    wants_tie: Option<usize>,
}

#[derive(Debug, Clone)]
struct RawPurchase {
    sku: usize,
    ordered: u64,
    received: u64,
    tied: u64,
    consumed: u64,
}

fn raw_job() -> impl Strategy<Value = RawJob> {
    (
        0u64..20,
        0usize..SKUS.len(),
        prop::bool::weighted(0.8),
        prop::option::of(0usize..4),
    )
        .prop_map(|(seq, sku, printable, wants_tie)| RawJob {
            seq,
            sku,
            printable,
            wants_tie,
        })
}

fn raw_purchase() -> impl Strategy<Value = RawPurchase> {
    (0usize..SKUS.len(), 0u64..6, 0u64..8, 0u64..7, 0u64..7).prop_map(
        |(sku, ordered, received, tied, consumed)| {
            // Consistent counters: consumed <= tied <= ordered, consumed <= received.
            let tied = tied.min(ordered);
            let consumed = consumed.min(tied).min(received);
            RawPurchase {
                sku,
                ordered,
                received,
                tied,
                consumed,
            }
        },
    )
}

/// A consistent intake input: unique ids, jobs tied only to purchases of their
/// SKU with open ties left.
fn intake_input() -> impl Strategy<Value = (Vec<IntakeJob>, Inventory)> {
    (
        prop::collection::vec(raw_job(), 0..14),
        prop::collection::vec((0usize..SKUS.len(), 0u64..4), 0..6),
        prop::collection::vec(raw_purchase(), 0..4),
    )
        .prop_map(|(raw_jobs, raw_bins, raw_purchases)| {
            let purchases: Vec<Purchase> = raw_purchases
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    purchase(
                        &format!("p{i}"),
                        SKUS[p.sku],
                        p.ordered,
                        p.received,
                        p.tied,
                        p.consumed,
                    )
                })
                .collect();
            let mut open: Vec<u64> = purchases.iter().map(|p| p.tied - p.consumed).collect();
            let jobs = raw_jobs
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let id = format!("j{i:02}");
                    let sku = SKUS[r.sku];
                    let mut job = hold(&id, r.seq, sku);
                    job.printable = r.printable;
                    if let Some(p) = r.wants_tie
                        && let Some(pur) = purchases.get(p)
                        && pur.sku == sku
                        && open[p] > 0
                    {
                        open[p] -= 1;
                        job.state = JobIntakeState::OnOrder {
                            purchase: pur.id.clone(),
                        };
                    }
                    job
                })
                .collect();
            let bins = raw_bins
                .iter()
                .enumerate()
                .map(|(i, (sku, q))| bin(&format!("b{i}"), SKUS[*sku], *q))
                .collect();
            (jobs, Inventory { bins, purchases })
        })
}

/// A deterministic permutation of `items` drawn from `seed`.
fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = (seed % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn older(a: &IntakeJob, b: &IntakeJob) -> bool {
    (a.seq, &a.id) < (b.seq, &b.id)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Units reserved from bins plus units left equal units before, per SKU;
    /// purchase counters keep their invariants and move by the decisions.
    #[test]
    fn intake_conserves_stock((jobs, inventory) in intake_input()) {
        let out = intake::run(&jobs, &inventory).unwrap();
        prop_assert_eq!(out.decisions.len(), jobs.len());
        let job_of = |id: &str| jobs.iter().find(|j| j.id == id).unwrap();
        for sku in SKUS {
            let before: u64 = inventory.bins.iter().filter(|b| b.sku == sku).map(|b| b.quantity).sum();
            let after: u64 = out.inventory.bins.iter().filter(|b| b.sku == sku).map(|b| b.quantity).sum();
            let reserved = out.decisions.iter().filter(|d| {
                matches!(d, Decision::Reserve { job, .. } if job_of(job).sku == sku)
            }).count() as u64;
            prop_assert_eq!(after + reserved, before, "sku {}", sku);
        }
        for (b0, b1) in inventory.bins.iter().zip(&out.inventory.bins) {
            prop_assert_eq!(&b0.id, &b1.id);
            let taken = out.decisions.iter().filter(|d| matches!(d, Decision::Reserve { bin, .. } if *bin == b0.id)).count() as u64;
            prop_assert_eq!(b1.quantity + taken, b0.quantity);
        }
        prop_assert_eq!(out.inventory.purchases.len(), inventory.purchases.len());
        for (p0, p1) in inventory.purchases.iter().zip(&out.inventory.purchases) {
            prop_assert_eq!((&p0.id, &p0.sku, p0.ordered, p0.received), (&p1.id, &p1.sku, p1.ordered, p1.received));
            prop_assert!(p1.tied <= p1.ordered, "{:?}", p1);
            prop_assert!(p1.consumed <= p1.received, "{:?}", p1);
            prop_assert!(p1.consumed <= p1.tied, "{:?}", p1);
            let mut consumed = 0u64;
            let mut tied = 0i64;
            for d in &out.decisions {
                let was_tied = matches!(&job_of(d.job()).state, JobIntakeState::OnOrder { purchase } if *purchase == p0.id);
                match d {
                    Decision::ReceiveFromPurchase { purchase, .. } if *purchase == p0.id => {
                        consumed += 1;
                        if !was_tied { tied += 1; }
                    }
                    Decision::TieToPurchase { purchase, .. } if *purchase == p0.id => tied += 1,
                    Decision::Reserve { untied: Some(u), .. }
                    | Decision::ReceiveFromPurchase { untied: Some(u), .. } if *u == p0.id => {
                        prop_assert!(was_tied);
                        tied -= 1;
                    }
                    _ => {}
                }
            }
            prop_assert_eq!(p1.consumed, p0.consumed + consumed, "{:?}", p0);
            prop_assert_eq!(p1.tied as i64, p0.tied as i64 + tied, "{:?}", p0);
        }
    }

    /// FIFO: when a printable job of a SKU does not pass intake, no younger job
    /// of that SKU took free stock (a bin, or received units it was not tied
    /// to); in particular none took from a bin when it waits for "no stock".
    #[test]
    fn intake_is_fifo((jobs, inventory) in intake_input()) {
        let out = intake::run(&jobs, &inventory).unwrap();
        let job_of = |id: &str| jobs.iter().find(|j| j.id == id).unwrap();
        for waiting in out.decisions.iter().filter(|d| !d.passes()) {
            let w = job_of(waiting.job());
            if !w.printable {
                continue;
            }
            for d in &out.decisions {
                let j = job_of(d.job());
                if j.sku != w.sku || !older(w, j) {
                    continue;
                }
                let took_free = match d {
                    Decision::Reserve { .. } => true,
                    Decision::ReceiveFromPurchase { purchase, .. } => !matches!(
                        &j.state, JobIntakeState::OnOrder { purchase: p } if p == purchase
                    ),
                    _ => false,
                };
                prop_assert!(!took_free, "{:?} waits while younger {:?}", waiting, d);
            }
        }
    }

    /// The result does not depend on the order the jobs are listed in.
    #[test]
    fn intake_ignores_input_order((jobs, inventory) in intake_input(), seed in 1u64..) {
        let out = intake::run(&jobs, &inventory).unwrap();
        let mut shuffled = jobs.clone();
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(intake::run(&shuffled, &inventory).unwrap(), out);
    }

    /// Running again on what is left (jobs in their new states, the inventory
    /// after) decides nothing new: every job waits, and the inventory stays.
    #[test]
    fn intake_is_complete_in_one_run((jobs, inventory) in intake_input()) {
        let out = intake::run(&jobs, &inventory).unwrap();
        let remaining = out.remaining(&jobs);
        let passed = out.decisions.iter().filter(|d| d.passes()).count();
        prop_assert_eq!(remaining.len() + passed, jobs.len());
        prop_assert!(remaining.iter().all(|j| !out.decision(&j.id).unwrap().passes()));
        let again = intake::run(&remaining, &out.inventory).unwrap();
        for d in &again.decisions {
            prop_assert!(matches!(d, Decision::Wait { .. }), "{:?}", d);
            match out.decision(d.job()).unwrap() {
                Decision::TieToPurchase { job, purchase } => prop_assert_eq!(
                    d,
                    &wait(job, WaitReason::AwaitingPurchase { purchase: purchase.clone() })
                ),
                before => prop_assert_eq!(d, before),
            }
        }
        prop_assert_eq!(again.inventory, out.inventory);
    }
}

// -------------------------------------------------------------- location ---

fn loc(id: &str, lat: f64, lon: f64, capacity: u64, decorations: &[&str]) -> Location {
    Location {
        id: id.to_owned(),
        name: format!("Location {id}"),
        latitude: lat,
        longitude: lon,
        capacity_units: capacity,
        uses_pretreat: false,
        stock: BTreeMap::new(),
        decorations: decorations.iter().map(|d| (*d).to_owned()).collect(),
    }
}

fn with_stock(mut l: Location, sku: &str, n: u64) -> Location {
    l.stock.insert(sku.to_owned(), n);
    l
}

fn line(sku: &str, decoration: &str, quantity: u64) -> DemandLine {
    DemandLine {
        sku: sku.to_owned(),
        decoration: decoration.to_owned(),
        quantity,
    }
}

fn demand(units: Vec<DemandLine>, lat: f64, lon: f64) -> Demand {
    Demand {
        units,
        latitude: lat,
        longitude: lon,
    }
}

fn preferring(id: &str) -> AccountSettings {
    AccountSettings {
        allowed_locations: None,
        preferred_location: Some(id.to_owned()),
    }
}

fn allowing(ids: &[&str]) -> AccountSettings {
    AccountSettings {
        allowed_locations: Some(ids.iter().map(|i| (*i).to_owned()).collect()),
        preferred_location: None,
    }
}

// Customer in Chicago; "near" is Milwaukee, "far" is Los Angeles.
const CUSTOMER: (f64, f64) = (41.8781, -87.6298);
const NEAR: (f64, f64) = (43.0389, -87.9065);
const FAR: (f64, f64) = (34.0522, -118.2437);

fn tees(n: u64) -> Demand {
    demand(vec![line("tee", "dtg", n)], CUSTOMER.0, CUSTOMER.1)
}

#[test]
fn distance_is_great_circle() {
    // Chicago to Los Angeles is about 2800 km.
    let d = location::distance_km(CUSTOMER.0, CUSTOMER.1, FAR.0, FAR.1);
    assert!((2795.0..2815.0).contains(&d), "{d}");
    assert_eq!(location::distance_km(10.0, 20.0, 10.0, 20.0), 0.0);
    // A quarter of the equator.
    let q = location::distance_km(0.0, 0.0, 0.0, 90.0);
    assert!((q - location::EARTH_RADIUS_KM * std::f64::consts::FRAC_PI_2).abs() < 1e-6);
}

#[test]
fn preferred_wins_when_candidate() {
    let locations = vec![
        with_stock(loc("a", NEAR.0, NEAR.1, 100, &["dtg"]), "tee", 10),
        loc("b", FAR.0, FAR.1, 100, &["dtg"]),
    ];
    let c = location::choose(&locations, &preferring("b"), &tees(2)).unwrap();
    assert_eq!((c.location.as_str(), c.rule), ("b", Rule::Preferred));
    // Not a candidate (no capacity): the rule goes on without it.
    let locations = vec![
        with_stock(loc("a", NEAR.0, NEAR.1, 100, &["dtg"]), "tee", 10),
        loc("b", FAR.0, FAR.1, 1, &["dtg"]),
    ];
    let c = location::choose(&locations, &preferring("b"), &tees(2)).unwrap();
    assert_eq!((c.location.as_str(), c.rule), ("a", Rule::OnlyCandidate));
    assert_eq!(c.candidates, ["a"]);
    // Not allowed: never chosen, even when preferred.
    let account = AccountSettings {
        allowed_locations: Some(vec!["a".to_owned()]),
        preferred_location: Some("b".to_owned()),
    };
    let locations = vec![
        loc("a", FAR.0, FAR.1, 100, &["dtg"]),
        loc("b", NEAR.0, NEAR.1, 100, &["dtg"]),
    ];
    assert_eq!(
        location::choose(&locations, &account, &tees(2))
            .unwrap()
            .location,
        "a"
    );
}

#[test]
fn disallowed_never_chosen() {
    let locations = vec![
        with_stock(loc("a", NEAR.0, NEAR.1, 100, &["dtg"]), "tee", 10),
        loc("b", FAR.0, FAR.1, 100, &["dtg"]),
    ];
    let c = location::choose(&locations, &allowing(&["b"]), &tees(2)).unwrap();
    assert_eq!(c.location, "b");
    assert_eq!(
        location::choose(&locations, &allowing(&["zzz"]), &tees(2)),
        Err(NoLocation::NoneAllowed)
    );
    // An empty list allows nothing; no list allows everything.
    assert_eq!(
        location::choose(&locations, &allowing(&[]), &tees(2)),
        Err(NoLocation::NoneAllowed)
    );
    assert_eq!(
        location::choose(&locations, &AccountSettings::default(), &tees(2))
            .unwrap()
            .location,
        "a"
    );
}

#[test]
fn capacity_respected() {
    let locations = vec![
        with_stock(loc("a", NEAR.0, NEAR.1, 4, &["dtg"]), "tee", 10),
        loc("b", FAR.0, FAR.1, 5, &["dtg"]),
    ];
    assert_eq!(
        location::choose(&locations, &AccountSettings::default(), &tees(4))
            .unwrap()
            .location,
        "a"
    );
    let c = location::choose(&locations, &AccountSettings::default(), &tees(5)).unwrap();
    assert_eq!((c.location.as_str(), c.rule), ("b", Rule::OnlyCandidate));
    // Units of all lines add up.
    let d = demand(
        vec![line("tee", "dtg", 3), line("hoodie", "dtg", 2)],
        CUSTOMER.0,
        CUSTOMER.1,
    );
    assert_eq!(
        location::choose(&locations, &AccountSettings::default(), &d)
            .unwrap()
            .location,
        "b"
    );
    assert_eq!(
        location::choose(&locations, &AccountSettings::default(), &tees(6)),
        Err(NoLocation::NoneHasCapacity {
            units: 6,
            most_free: 5
        })
    );
}

#[test]
fn most_stock_then_nearest_then_lowest_id() {
    let account = AccountSettings::default();
    // More stock beats distance.
    let locations = vec![
        with_stock(loc("near", NEAR.0, NEAR.1, 100, &["dtg"]), "tee", 1),
        with_stock(loc("far", FAR.0, FAR.1, 100, &["dtg"]), "tee", 3),
    ];
    let c = location::choose(&locations, &account, &tees(3)).unwrap();
    assert_eq!(
        (c.location.as_str(), c.rule, c.covered_units),
        ("far", Rule::MostStock, 3)
    );
    // Stock beyond the demand does not count: 3 and 9 both cover 3.
    let locations = vec![
        with_stock(loc("far", FAR.0, FAR.1, 100, &["dtg"]), "tee", 9),
        with_stock(loc("near", NEAR.0, NEAR.1, 100, &["dtg"]), "tee", 3),
    ];
    let c = location::choose(&locations, &account, &tees(3)).unwrap();
    assert_eq!((c.location.as_str(), c.rule), ("near", Rule::Nearest));
    assert!(
        c.distance_km > 100.0 && c.distance_km < 200.0,
        "{}",
        c.distance_km
    );
    // Same place, same stock: lowest id.
    let locations = vec![
        loc("y", NEAR.0, NEAR.1, 100, &["dtg"]),
        loc("x", NEAR.0, NEAR.1, 100, &["dtg"]),
    ];
    let c = location::choose(&locations, &account, &tees(3)).unwrap();
    assert_eq!((c.location.as_str(), c.rule), ("x", Rule::LowestId));
}

#[test]
fn no_location_names_the_cause() {
    let account = AccountSettings::default();
    assert_eq!(
        location::choose(&[], &account, &tees(1)),
        Err(NoLocation::NoLocations)
    );
    let locations = vec![
        loc("a", NEAR.0, NEAR.1, 100, &["dtg"]),
        loc("b", FAR.0, FAR.1, 100, &["embroidery"]),
    ];
    let err = location::choose(
        &locations,
        &account,
        &demand(vec![line("tee", "dtf", 1)], CUSTOMER.0, CUSTOMER.1),
    )
    .unwrap_err();
    assert_eq!(
        err,
        NoLocation::NoneCanDecorate {
            decoration: "dtf".to_owned()
        }
    );
    assert_eq!(err.to_string(), "no allowed location can do dtf");
    let err = location::choose(
        &locations,
        &account,
        &demand(
            vec![line("tee", "dtg", 1), line("cap", "embroidery", 1)],
            CUSTOMER.0,
            CUSTOMER.1,
        ),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no allowed location can do all of dtg, embroidery"
    );
    let err = location::choose(&locations, &account, &tees(101)).unwrap_err();
    assert!(err.to_string().contains("capacity for 101 units"), "{err}");
    // A decoration only a disallowed location does is reported as such.
    let err = location::choose(
        &locations,
        &allowing(&["a"]),
        &demand(vec![line("cap", "embroidery", 1)], CUSTOMER.0, CUSTOMER.1),
    )
    .unwrap_err();
    assert_eq!(
        err,
        NoLocation::NoneCanDecorate {
            decoration: "embroidery".to_owned()
        }
    );
}

fn at(location: &str, uses_pretreat: bool) -> LinePlacement {
    LinePlacement {
        location: location.to_owned(),
        uses_pretreat,
    }
}

#[test]
fn one_location_makes_the_whole_order_when_it_can() {
    let locations = vec![
        loc("a", NEAR.0, NEAR.1, 10, &["dtg"]),
        loc("b", FAR.0, FAR.1, 10, &["dtg", "embroidery"]),
    ];
    let d = demand(
        vec![line("tee", "dtg", 3), line("cap", "embroidery", 2)],
        CUSTOMER.0,
        CUSTOMER.1,
    );
    let p = location::place(&locations, &AccountSettings::default(), &d).unwrap();
    assert_eq!(p.whole.as_ref().map(|c| c.location.as_str()), Some("b"));
    assert_eq!(p.lines, [at("b", false), at("b", false)]);
    assert_eq!(p.locations(), ["b"]);
}

#[test]
fn an_order_no_location_can_make_alone_is_split_per_item() {
    struct Case {
        name: &'static str,
        locations: Vec<Location>,
        account: AccountSettings,
        lines: Vec<DemandLine>,
        expect: Result<Vec<&'static str>, NoLocation>,
    }
    let mut pretreat = loc("b", FAR.0, FAR.1, 100, &["dtg"]);
    pretreat.uses_pretreat = true;
    let cases = vec![
        Case {
            name: "decorations: each item where its decoration is done",
            locations: vec![
                loc("a", NEAR.0, NEAR.1, 100, &["embroidery"]),
                loc("b", FAR.0, FAR.1, 100, &["dtg"]),
            ],
            account: AccountSettings::default(),
            lines: vec![line("tee", "dtg", 1), line("cap", "embroidery", 1)],
            expect: Ok(vec!["b", "a"]),
        },
        Case {
            name: "capacity: the largest item first, at the nearest with room",
            locations: vec![
                loc("a", NEAR.0, NEAR.1, 5, &["dtg"]),
                loc("b", FAR.0, FAR.1, 5, &["dtg"]),
            ],
            account: AccountSettings::default(),
            lines: vec![line("hoodie", "dtg", 3), line("tee", "dtg", 4)],
            expect: Ok(vec!["b", "a"]),
        },
        Case {
            name: "stock first, then a location already making the order",
            locations: vec![
                loc("a", NEAR.0, NEAR.1, 100, &["embroidery"]),
                with_stock(loc("b", FAR.0, FAR.1, 100, &["dtg"]), "tee", 5),
                loc("c", NEAR.0, NEAR.1, 100, &["dtg"]),
            ],
            account: AccountSettings::default(),
            lines: vec![
                line("cap", "embroidery", 1),
                line("hoodie", "dtg", 1),
                line("tee", "dtg", 5),
            ],
            expect: Ok(vec!["a", "b", "b"]),
        },
        Case {
            name: "stock is used up by the items placed before",
            locations: vec![
                loc("a", NEAR.0, NEAR.1, 100, &["embroidery"]),
                with_stock(loc("b", FAR.0, FAR.1, 100, &["dtg"]), "tee", 5),
                with_stock(loc("c", FAR.0, FAR.1, 100, &["dtg"]), "tee", 2),
            ],
            account: AccountSettings::default(),
            lines: vec![
                line("cap", "embroidery", 1),
                line("tee", "dtg", 5),
                line("tee", "dtg", 2),
            ],
            expect: Ok(vec!["a", "b", "c"]),
        },
        Case {
            name: "the preferred location wherever it can make the item",
            locations: vec![
                loc("a", NEAR.0, NEAR.1, 100, &["embroidery"]),
                with_stock(loc("b", NEAR.0, NEAR.1, 100, &["dtg"]), "tee", 5),
                loc("c", FAR.0, FAR.1, 100, &["dtg"]),
            ],
            account: preferring("c"),
            lines: vec![line("cap", "embroidery", 1), line("tee", "dtg", 5)],
            expect: Ok(vec!["a", "c"]),
        },
        Case {
            name: "only allowed locations",
            locations: vec![
                loc("a", NEAR.0, NEAR.1, 100, &["embroidery"]),
                loc("b", NEAR.0, NEAR.1, 100, &["dtg"]),
                loc("c", FAR.0, FAR.1, 100, &["dtg"]),
            ],
            account: allowing(&["a", "c"]),
            lines: vec![line("cap", "embroidery", 1), line("tee", "dtg", 1)],
            expect: Ok(vec!["a", "c"]),
        },
        Case {
            name: "an item is never split",
            locations: vec![
                loc("a", NEAR.0, NEAR.1, 3, &["dtg"]),
                loc("b", FAR.0, FAR.1, 3, &["dtg"]),
            ],
            account: AccountSettings::default(),
            lines: vec![line("tee", "dtg", 4)],
            expect: Err(NoLocation::NoneFitsLine {
                sku: "tee".to_owned(),
                decoration: "dtg".to_owned(),
                quantity: 4,
            }),
        },
        Case {
            name: "a decoration nobody allowed does",
            locations: vec![
                loc("a", NEAR.0, NEAR.1, 100, &["embroidery"]),
                loc("b", FAR.0, FAR.1, 100, &["dtg"]),
            ],
            account: AccountSettings::default(),
            lines: vec![line("tee", "dtf", 1), line("cap", "embroidery", 1)],
            expect: Err(NoLocation::NoneCanDecorate {
                decoration: "dtf".to_owned(),
            }),
        },
    ];
    for case in cases {
        let d = demand(case.lines, CUSTOMER.0, CUSTOMER.1);
        let got = location::place(&case.locations, &case.account, &d);
        match (&got, &case.expect) {
            (Ok(p), Ok(ids)) => {
                assert!(p.whole.is_none(), "{}: not split", case.name);
                let got: Vec<&str> = p.lines.iter().map(|l| l.location.as_str()).collect();
                assert_eq!(&got, ids, "{}", case.name);
            }
            (Err(e), Err(want)) => assert_eq!(e, want, "{}", case.name),
            _ => panic!("{}: {got:?}", case.name),
        }
    }
    // Each item keeps its location's pretreat flag.
    let locations = vec![loc("a", NEAR.0, NEAR.1, 100, &["embroidery"]), pretreat];
    let d = demand(
        vec![line("tee", "dtg", 1), line("cap", "embroidery", 1)],
        CUSTOMER.0,
        CUSTOMER.1,
    );
    let p = location::place(&locations, &AccountSettings::default(), &d).unwrap();
    assert_eq!(p.lines, [at("b", true), at("a", false)]);
    assert_eq!(p.locations(), ["b", "a"]);
    let err = NoLocation::NoneFitsLine {
        sku: "tee".to_owned(),
        decoration: "dtg".to_owned(),
        quantity: 4,
    };
    assert_eq!(
        err.to_string(),
        "the order cannot be split: no allowed location that can do dtg has room for the 4 units of tee once the order's larger items are placed"
    );
}

fn arb_location(i: usize) -> impl Strategy<Value = Location> {
    (
        -60.0f64..60.0,
        -170.0f64..170.0,
        0u64..12,
        any::<bool>(),
        prop::collection::btree_map(prop::sample::select(vec!["tee", "hoodie"]), 0u64..6, 0..2),
        prop::sample::subsequence(vec!["dtg", "dtf", "embroidery"], 0..=3),
    )
        .prop_map(
            move |(lat, lon, cap, pretreat, stock, decorations)| Location {
                id: format!("l{i}"),
                name: String::new(),
                latitude: lat,
                longitude: lon,
                capacity_units: cap,
                uses_pretreat: pretreat,
                stock: stock.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                decorations: decorations.into_iter().map(str::to_owned).collect(),
            },
        )
}

fn arb_locations() -> impl Strategy<Value = Vec<Location>> {
    (0usize..6).prop_flat_map(|n| (0..n).map(arb_location).collect::<Vec<_>>())
}

fn arb_account() -> impl Strategy<Value = AccountSettings> {
    (
        prop::option::of(prop::collection::vec(
            (0usize..7).prop_map(|i| format!("l{i}")),
            0..4,
        )),
        prop::option::of((0usize..7).prop_map(|i| format!("l{i}"))),
    )
        .prop_map(|(allowed_locations, preferred_location)| AccountSettings {
            allowed_locations,
            preferred_location,
        })
}

fn arb_demand() -> impl Strategy<Value = Demand> {
    (
        prop::collection::vec(
            (
                prop::sample::select(vec!["tee", "hoodie"]),
                prop::sample::select(vec!["dtg", "dtf", "embroidery"]),
                0u64..5,
            )
                .prop_map(|(s, d, q)| line(s, d, q)),
            0..3,
        ),
        -60.0f64..60.0,
        -170.0f64..170.0,
    )
        .prop_map(|(units, lat, lon)| demand(units, lat, lon))
}

fn is_candidate(l: &Location, account: &AccountSettings, demand: &Demand) -> bool {
    let allowed = account
        .allowed_locations
        .as_ref()
        .is_none_or(|a| a.contains(&l.id));
    let total: u64 = demand.units.iter().map(|u| u.quantity).sum();
    let decorates = demand
        .units
        .iter()
        .filter(|u| u.quantity > 0)
        .all(|u| l.decorations.contains(&u.decoration));
    allowed && decorates && l.capacity_units >= total
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The choice is always a candidate, the preferred one when it is a
    /// candidate, no candidate beats it, it does not depend on the order of the
    /// locations, and there is no choice only when there is no candidate.
    #[test]
    fn location_choice_is_a_deterministic_candidate(
        locations in arb_locations(),
        account in arb_account(),
        demand in arb_demand(),
        seed in 1u64..,
    ) {
        let result = location::choose(&locations, &account, &demand);
        let candidates: Vec<&Location> =
            locations.iter().filter(|l| is_candidate(l, &account, &demand)).collect();
        let mut shuffled = locations.clone();
        shuffle(&mut shuffled, seed);
        let again = location::choose(&shuffled, &account, &demand);
        match &result {
            Err(e) => {
                prop_assert!(candidates.is_empty(), "{:?} with candidates", e);
                prop_assert_eq!(&again, &result);
            }
            Ok(c) => {
                let chosen = candidates.iter().find(|l| l.id == c.location);
                prop_assert!(chosen.is_some(), "{} is not a candidate", c.location);
                prop_assert_eq!(chosen.unwrap().uses_pretreat, c.uses_pretreat);
                prop_assert_eq!(c.candidates.len(), candidates.len());
                if let Some(p) = &account.preferred_location
                    && candidates.iter().any(|l| &l.id == p)
                {
                    prop_assert_eq!(&c.location, p);
                } else {
                    for other in &candidates {
                        let cov = |l: &Location| -> u64 {
                            let mut need: BTreeMap<&str, u64> = BTreeMap::new();
                            for u in &demand.units {
                                *need.entry(u.sku.as_str()).or_default() += u.quantity;
                            }
                            need.iter().map(|(s, n)| l.stock.get(*s).copied().unwrap_or(0).min(*n)).sum()
                        };
                        let dist = |l: &Location| location::distance_km(l.latitude, l.longitude, demand.latitude, demand.longitude);
                        let key = |l: &Location| (std::cmp::Reverse(cov(l)), dist(l), l.id.clone());
                        let (a, b) = (key(chosen.unwrap()), key(other));
                        prop_assert!(a.partial_cmp(&b) != Some(std::cmp::Ordering::Greater), "{:?} beats {:?}", b, a);
                    }
                }
                let again = again.unwrap();
                prop_assert_eq!(&again.location, &c.location);
                prop_assert_eq!(again.rule, c.rule);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A placement puts every item at one allowed location that can do its
    /// decoration, never over a location's capacity; the whole order at one
    /// location (the choice of `choose`) whenever one can take it; the same
    /// whatever the order of the locations.
    #[test]
    fn placement_respects_every_location(
        locations in arb_locations(),
        account in arb_account(),
        demand in arb_demand(),
        seed in 1u64..,
    ) {
        let result = location::place(&locations, &account, &demand);
        let mut shuffled = locations.clone();
        shuffle(&mut shuffled, seed);
        // The same placement (only `candidates` keeps the input order).
        let again = location::place(&shuffled, &account, &demand);
        let lines = |r: &Result<location::Placement, NoLocation>| r.clone().map(|p| p.lines);
        prop_assert_eq!(lines(&again), lines(&result));
        let any_candidate = locations.iter().any(|l| is_candidate(l, &account, &demand));
        match &result {
            Err(e) => {
                prop_assert!(!any_candidate, "{:?} with a candidate", e);
                if let NoLocation::NoneCanDecorate { decoration } = e {
                    let someone_does = locations.iter().any(|l| {
                        account.allowed_locations.as_ref().is_none_or(|a| a.contains(&l.id))
                            && l.decorations.contains(decoration)
                    });
                    prop_assert!(!someone_does, "{} is done somewhere", decoration);
                }
            }
            Ok(p) => {
                prop_assert_eq!(p.lines.len(), demand.units.len());
                let mut used: BTreeMap<&str, u64> = BTreeMap::new();
                for (placed, line) in p.lines.iter().zip(&demand.units) {
                    let l = locations.iter().find(|l| l.id == placed.location).unwrap();
                    prop_assert!(account.allowed_locations.as_ref().is_none_or(|a| a.contains(&l.id)));
                    prop_assert!(line.quantity == 0 || l.decorations.contains(&line.decoration));
                    prop_assert_eq!(placed.uses_pretreat, l.uses_pretreat);
                    *used.entry(l.id.as_str()).or_default() += line.quantity;
                }
                for (id, units) in used {
                    let l = locations.iter().find(|l| l.id == id).unwrap();
                    prop_assert!(units <= l.capacity_units, "{} units at {}", units, id);
                }
                let chosen = location::choose(&locations, &account, &demand).ok();
                prop_assert_eq!(p.whole.is_some(), any_candidate);
                prop_assert_eq!(&p.whole, &chosen);
                if let Some(c) = &p.whole {
                    prop_assert!(p.lines.iter().all(|l| l.location == c.location));
                }
            }
        }
    }
}

// --------------------------------------------------------------- adapter ---

fn vars(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

fn order_vars() -> Value {
    json!({
        "parties": {
            "shop": {"locations": [
                {"id": "mke", "name": "Milwaukee", "latitude": NEAR.0, "longitude": NEAR.1,
                 "capacity_units": 50, "uses_pretreat": true,
                 "stock": {"tee": 1}, "decorations": ["dtg", "dtf"]},
                {"id": "lax", "latitude": FAR.0, "longitude": FAR.1, "capacity_units": 50,
                 "stock": {"tee": 5}, "decorations": ["dtg", "dtf", "embroidery"]},
                {"id": "bare", "latitude": 0.0, "longitude": 0.0, "capacity_units": 50}
            ]},
            "merchant": {"allowed_locations": null, "preferred_location": null}
        },
        "order": {"ship_to": {"latitude": CUSTOMER.0, "longitude": CUSTOMER.1}},
        "children": {"item": [
            {"id": "i1", "sku": "tee", "decoration": "dtg", "quantity": 2, "design": "d1"},
            {"id": "i2", "sku": "tee", "decoration": "dtf", "quantity": 1}
        ]}
    })
}

#[test]
fn effect_lists() {
    assert_eq!(EFFECT_BUILTINS, ["choose_location", "assign_location"]);
    assert_eq!(SCHEDULE_BUILTINS, ["fifo_intake"]);
}

/// The output as JSON: `{"order": {...}, "item": {id: {...}}}`.
fn output(out: EffectOutput) -> Value {
    let items: Map<String, Value> = out
        .children
        .into_iter()
        .map(|c| {
            assert_eq!(c.kind, "item");
            (c.id, Value::Object(c.fields))
        })
        .collect();
    json!({"order": out.order, "item": items})
}

#[test]
fn effect_choose_location() {
    let out = run_effect("choose_location", &vars(order_vars())).unwrap();
    let lax = json!({"location": "lax", "uses_pretreat": false});
    assert_eq!(
        output(out),
        json!({
            "order": {"location": "lax", "locations": ["lax"], "location_problem": null},
            "item": {"i1": lax, "i2": lax},
        })
    );

    let mut v = order_vars();
    v["parties"]["merchant"]["preferred_location"] = json!("mke");
    let out = output(run_effect("choose_location", &vars(v)).unwrap());
    assert_eq!(out["order"]["location"], json!("mke"));
    assert_eq!(
        out["item"]["i2"],
        json!({"location": "mke", "uses_pretreat": true})
    );

    let mut v = order_vars();
    v["parties"]["merchant"]["allowed_locations"] = json!(["mke", "bare"]);
    let out = output(run_effect("choose_location", &vars(v)).unwrap());
    assert_eq!(out["order"]["location"], json!("mke"));

    // The merchant may have no settings at all.
    let mut v = order_vars();
    v["parties"].as_object_mut().unwrap().remove("merchant");
    let out = output(run_effect("choose_location", &vars(v)).unwrap());
    assert_eq!(out["order"]["location"], json!("lax"));
}

#[test]
fn effect_choose_location_splits_the_order() {
    // Only Milwaukee does dtf, only Los Angeles embroiders.
    let mut v = order_vars();
    v["parties"]["shop"]["locations"][1]["decorations"] = json!(["embroidery"]);
    v["children"]["item"][0]["decoration"] = json!("embroidery");
    let out = output(run_effect("choose_location", &vars(v)).unwrap());
    assert_eq!(
        out,
        json!({
            "order": {"location": null, "locations": ["lax", "mke"], "location_problem": null},
            "item": {
                "i1": {"location": "lax", "uses_pretreat": false},
                "i2": {"location": "mke", "uses_pretreat": true},
            },
        })
    );
}

#[test]
fn effect_assign_location() {
    let mut v = order_vars();
    v["input"] = json!({"location": "mke"});
    let mke = json!({"location": "mke", "uses_pretreat": true});
    assert_eq!(
        output(run_effect("assign_location", &vars(v)).unwrap()),
        json!({
            "order": {"location": "mke", "locations": ["mke"], "location_problem": null},
            "item": {"i1": mke, "i2": mke},
        })
    );
    let mut v = order_vars();
    v["input"] = json!({"location": "nyc"});
    assert!(matches!(
        run_effect("assign_location", &vars(v)),
        Err(BuiltinError::Invalid { path, .. }) if path == "input.location"
    ));
}

#[test]
fn effect_unknown_names() {
    assert_eq!(
        run_effect("launch_rockets", &vars(order_vars())),
        Err(BuiltinError::Unknown("launch_rockets".to_owned()))
    );
    assert_eq!(
        run_effect("fifo_intake", &vars(order_vars())),
        Err(BuiltinError::NotAnEffect("fifo_intake".to_owned()))
    );
}

#[test]
fn effect_no_location_sets_the_reason_and_no_item() {
    let mut v = order_vars();
    v["children"]["item"][0]["decoration"] = json!("embroidery");
    v["parties"]["merchant"]["allowed_locations"] = json!(["mke"]);
    assert_eq!(
        output(run_effect("choose_location", &vars(v)).unwrap()),
        json!({
            "order": {
                "location": null,
                "locations": [],
                "location_problem": "no allowed location can do embroidery",
            },
            "item": {},
        })
    );
    // A shop that has set no locations has none.
    let mut v = order_vars();
    v["parties"]["shop"]["locations"] = Value::Null;
    let out = output(run_effect("choose_location", &vars(v)).unwrap());
    assert_eq!(
        out["order"]["location_problem"],
        json!("the shop has no production locations")
    );
}

#[test]
fn effect_malformed_inputs_name_the_path() {
    type Edit = fn(&mut Value);
    let cases: Vec<(Edit, &str)> = vec![
        (
            |v| v["parties"].as_object_mut().unwrap().clear(),
            "parties.shop",
        ),
        (
            |v| v["parties"]["shop"]["locations"] = json!({}),
            "parties.shop.locations",
        ),
        (
            |v| {
                v["children"]["item"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("id");
            },
            "children.item[1].id",
        ),
        (
            |v| v["parties"]["shop"]["locations"][1]["capacity_units"] = json!(-1),
            "parties.shop.locations[1].capacity_units",
        ),
        (
            |v| v["parties"]["shop"]["locations"][0]["stock"]["tee"] = json!("many"),
            "parties.shop.locations[0].stock.tee",
        ),
        (
            |v| v["parties"]["shop"]["locations"][2]["latitude"] = json!(91),
            "parties.shop.locations[2].latitude",
        ),
        (
            |v| v["parties"]["shop"]["locations"][2]["decorations"] = json!(["dtg", 3]),
            "parties.shop.locations[2].decorations[1]",
        ),
        (
            |v| v["parties"]["shop"]["locations"][2]["id"] = json!("mke"),
            "parties.shop.locations[2].id",
        ),
        (
            |v| {
                v["parties"]["shop"]["locations"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("longitude");
            },
            "parties.shop.locations[0].longitude",
        ),
        (
            |v| v["parties"]["merchant"]["allowed_locations"] = json!("mke"),
            "parties.merchant.allowed_locations",
        ),
        (
            |v| v["parties"]["merchant"]["preferred_location"] = json!(7),
            "parties.merchant.preferred_location",
        ),
        (
            |v| v["order"]["ship_to"] = json!("Chicago"),
            "order.ship_to",
        ),
        (
            |v| v["order"]["ship_to"]["longitude"] = json!(-200.5),
            "order.ship_to.longitude",
        ),
        (
            |v| v["children"].as_object_mut().unwrap().clear(),
            "children.item",
        ),
        (
            |v| v["children"]["item"][1]["quantity"] = json!(1.5),
            "children.item[1].quantity",
        ),
        (
            |v| {
                v["children"]["item"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("sku");
            },
            "children.item[0].sku",
        ),
        (
            |v| {
                v.as_object_mut().unwrap().remove("order");
            },
            "order",
        ),
    ];
    for (edit, path) in cases {
        let mut v = order_vars();
        edit(&mut v);
        match run_effect("choose_location", &vars(v)) {
            Err(BuiltinError::Invalid { path: p, reason }) => {
                assert_eq!(p, path, "{reason}");
                assert!(!reason.is_empty());
            }
            other => panic!("{path}: {other:?}"),
        }
    }
}

proptest! {
    /// Arbitrary JSON never makes the adapter panic.
    #[test]
    fn effect_never_panics(v in arb_json()) {
        if let Value::Object(m) = v {
            let _ = run_effect("choose_location", &m);
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-200.0f64..200.0).prop_map(|x| json!(x)),
        prop::sample::select(vec!["parties", "shop", "dtg", "tee", "l1"]).prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "parties",
                    "shop",
                    "merchant",
                    "locations",
                    "order",
                    "ship_to",
                    "children",
                    "item",
                    "id",
                    "latitude",
                    "longitude",
                    "capacity_units",
                    "sku",
                    "decoration",
                    "quantity",
                    "stock",
                    "decorations",
                ]),
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}
