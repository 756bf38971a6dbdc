//! [`sql_inventory!`]: print-production's inventory (locations, bins,
//! purchases, receipts), the waiting jobs intake reads, and the units a
//! commit takes, expanded by [`sql_store!`](crate::sql_store) into the same
//! module, where it uses the row mapping and helpers defined there.
//!
//! A unit is taken by a conditional `UPDATE` (`quantity >= 1`, `consumed <
//! received`) in the commit's transaction: of two commits racing for the
//! last unit, one updates the row and the other finds none and is refused
//! with `OutOfStock`, whichever backend and however they interleave (SQLite
//! has one writer; PostgreSQL locks the row the first `UPDATE` touched).

/// A write to the inventory.
pub enum InventoryOp {
    CreateLocation(orderflow_store::StockLocation),
    CreateBin(orderflow_store::StockBin),
    AdjustBin {
        organization: String,
        location: String,
        bin: String,
        delta: i64,
    },
    CreatePurchase(orderflow_store::PurchaseRecord),
    Receive(orderflow_store::Receipt),
}

/// Expands to the inventory's reads, `take_stock(conn, moves)`,
/// `apply_inventory(conn, op)` and `impl InventoryStore for store`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_inventory {
    (row: $row:ty, pool: $pool:ty, connection: $conn:ty, store: $store:ty, reads: $reads:ident) => {
        use $crate::__private::orderflow_store::{
            InventoryStore, PurchaseRecord, Receipt, StockBin, StockLocation, StockMove,
            WAITING_MAX, WaitingJob,
        };
        use $crate::InventoryOp;

        const PURCHASE_COLUMNS: &str =
            "organization, id, location, sku, ordered, received, consumed, supplier, created_at";

        fn bin_of(row: &$row) -> Result<StockBin> {
            Ok(StockBin {
                organization: get(row, "organization")?,
                location: get(row, "location")?,
                id: get(row, "id")?,
                sku: get(row, "sku")?,
                quantity: uint(get(row, "quantity")?)?,
            })
        }

        fn purchase_of(row: &$row) -> Result<PurchaseRecord> {
            Ok(PurchaseRecord {
                organization: get(row, "organization")?,
                id: get(row, "id")?,
                location: get(row, "location")?,
                sku: get(row, "sku")?,
                ordered: uint(get(row, "ordered")?)?,
                received: uint(get(row, "received")?)?,
                consumed: uint(get(row, "consumed")?)?,
                supplier: get(row, "supplier")?,
                created_at: time(row, "created_at")?,
            })
        }

        async fn stock_locations(pool: &$pool, organization: &str) -> Result<Vec<StockLocation>> {
            all(
                query(
                    "SELECT organization, id, name, created_at FROM stock_locations \
                     WHERE organization = $1 ORDER BY id",
                )
                .bind(organization),
                pool,
                |row| {
                    Ok(StockLocation {
                        organization: get(row, "organization")?,
                        id: get(row, "id")?,
                        name: get(row, "name")?,
                        created_at: time(row, "created_at")?,
                    })
                },
            )
            .await
        }

        async fn bins(
            pool: &$pool,
            organization: &str,
            location: Option<&str>,
        ) -> Result<Vec<StockBin>> {
            all(
                query(
                    "SELECT organization, location, id, sku, quantity FROM stock_bins \
                     WHERE organization = $1 AND ($2 IS NULL OR location = $2) \
                     ORDER BY location, id",
                )
                .bind(organization)
                .bind(location),
                pool,
                bin_of,
            )
            .await
        }

        async fn purchases(
            pool: &$pool,
            organization: &str,
            location: Option<&str>,
        ) -> Result<Vec<PurchaseRecord>> {
            all(
                query(AssertSqlSafe(format!(
                    "SELECT {PURCHASE_COLUMNS} FROM purchases \
                     WHERE organization = $1 AND ($2 IS NULL OR location = $2) ORDER BY id"
                )))
                .bind(organization)
                .bind(location),
                pool,
                purchase_of,
            )
            .await
        }

        async fn purchase(
            pool: &$pool,
            organization: &str,
            id: &str,
        ) -> Result<Option<PurchaseRecord>> {
            optional(
                query(AssertSqlSafe(format!(
                    "SELECT {PURCHASE_COLUMNS} FROM purchases WHERE organization = $1 AND id = $2"
                )))
                .bind(organization)
                .bind(id),
                pool,
                purchase_of,
            )
            .await
        }

        async fn receipts(pool: &$pool, organization: &str, purchase: &str) -> Result<Vec<Receipt>> {
            all(
                query(
                    "SELECT organization, purchase, seq, quantity, received_at, user_id \
                     FROM purchase_receipts WHERE organization = $1 AND purchase = $2 ORDER BY seq",
                )
                .bind(organization)
                .bind(purchase),
                pool,
                |row| {
                    Ok(Receipt {
                        organization: get(row, "organization")?,
                        purchase: get(row, "purchase")?,
                        seq: uint(get(row, "seq")?)?,
                        quantity: uint(get(row, "quantity")?)?,
                        received_at: time(row, "received_at")?,
                        user: get(row, "user_id")?,
                    })
                },
            )
            .await
        }

        async fn waiting_jobs(
            pool: &$pool,
            organization: &str,
            slot: &str,
            kind: &str,
            statuses: &[&str],
            location: &str,
            limit: u32,
        ) -> Result<Vec<WaitingJob>> {
            let pattern = $crate::json_member_pattern("location", location)?;
            let mut q = QueryBuilder::new(
                "SELECT c.order_id, o.created_at AS order_created_at, c.id, c.kind, c.parent, \
                 c.seq, c.status, c.version, c.data, c.counts \
                 FROM order_children c JOIN orders o ON o.id = c.order_id \
                 JOIN order_parties p ON p.order_id = c.order_id \
                 WHERE p.organization = ",
            );
            q.push_bind(organization)
                .push(" AND p.slot = ")
                .push_bind(slot)
                .push(" AND c.kind = ")
                .push_bind(kind)
                .push(" AND c.status IN (");
            let mut list = q.separated(", ");
            for s in statuses {
                list.push_bind(*s);
            }
            q.push(") AND c.data LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\' ORDER BY o.created_at, c.order_id, c.seq LIMIT ")
                .push_bind(i64::from(limit.clamp(1, WAITING_MAX)));
            let rows = q.build().fetch_all(pool).await.map_err(db)?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let job = child_of(row)?;
                if job.data.get("location").and_then(|v| v.as_str()) != Some(location) {
                    continue;
                }
                out.push(WaitingJob {
                    order_id: get(row, "order_id")?,
                    order_created_at: time(row, "order_created_at")?,
                    job,
                });
            }
            Ok(out)
        }

        /// Takes each unit of `moves`; `OutOfStock` naming the first one
        /// that is not there (the caller's transaction then rolls back).
        async fn take_stock(conn: &mut $conn, moves: &[StockMove]) -> Result<()> {
            for m in moves {
                let (done, what) = match m {
                    StockMove::Bin {
                        organization,
                        location,
                        bin,
                        sku,
                    } => (
                        query(
                            "UPDATE stock_bins SET quantity = quantity - 1 \
                             WHERE organization = $1 AND location = $2 AND id = $3 \
                             AND sku = $4 AND quantity >= 1",
                        )
                        .bind(organization)
                        .bind(location)
                        .bind(bin)
                        .bind(sku)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?,
                        format!("bin {bin} at {location} has no unit of {sku} left"),
                    ),
                    StockMove::Purchase {
                        organization,
                        purchase,
                    } => (
                        query(
                            "UPDATE purchases SET consumed = consumed + 1 \
                             WHERE organization = $1 AND id = $2 AND consumed < received",
                        )
                        .bind(organization)
                        .bind(purchase)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?,
                        format!("purchase {purchase} has no received unit left"),
                    ),
                };
                if done.rows_affected() == 0 {
                    return Err(StoreError::OutOfStock(what));
                }
            }
            Ok(())
        }

        async fn apply_inventory(conn: &mut $conn, op: &InventoryOp) -> Result<()> {
            match op {
                InventoryOp::CreateLocation(l) => {
                    query(
                        "INSERT INTO stock_locations (organization, id, name, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&l.organization)
                    .bind(&l.id)
                    .bind(&l.name)
                    .bind(micros(l.created_at))
                    .execute(&mut *conn)
                    .await
                    .map_err(refused(&format!("location {}", l.id)))?;
                }
                InventoryOp::CreateBin(b) => {
                    query(
                        "INSERT INTO stock_bins (organization, location, id, sku, quantity) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&b.organization)
                    .bind(&b.location)
                    .bind(&b.id)
                    .bind(&b.sku)
                    .bind(int(b.quantity)?)
                    .execute(&mut *conn)
                    .await
                    .map_err(refused(&format!("bin {} at {}", b.id, b.location)))?;
                }
                InventoryOp::AdjustBin {
                    organization,
                    location,
                    bin,
                    delta,
                } => {
                    let done = query(AssertSqlSafe(format!(
                        "UPDATE stock_bins SET quantity = quantity + $1 \
                         WHERE organization = $2 AND location = $3 AND id = $4 \
                         AND quantity + $1 BETWEEN 0 AND {}",
                        orderflow_store::inventory::UNITS_MAX
                    )))
                    .bind(*delta)
                    .bind(organization)
                    .bind(location)
                    .bind(bin)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    if done.rows_affected() == 0 {
                        let found = query(
                            "SELECT quantity FROM stock_bins \
                             WHERE organization = $1 AND location = $2 AND id = $3",
                        )
                        .bind(organization)
                        .bind(location)
                        .bind(bin)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db)?;
                        return Err(match found {
                            Some(row) => {
                                let holds = get::<i64>(&row, "quantity")?;
                                StoreError::OutOfStock(if *delta < 0 {
                                    format!(
                                        "bin {bin} at {location} holds {holds} units: it cannot give {}",
                                        delta.unsigned_abs()
                                    )
                                } else {
                                    format!(
                                        "bin {bin} at {location} holds {holds} units: it cannot take {delta} more \
                                         (a bin holds at most {})",
                                        orderflow_store::inventory::UNITS_MAX_TEXT
                                    )
                                })
                            }
                            None => StoreError::NotFound(format!("bin {bin} at {location}")),
                        });
                    }
                }
                InventoryOp::CreatePurchase(p) => {
                    query(AssertSqlSafe(format!(
                        "INSERT INTO purchases ({PURCHASE_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    )))
                    .bind(&p.organization)
                    .bind(&p.id)
                    .bind(&p.location)
                    .bind(&p.sku)
                    .bind(int(p.ordered)?)
                    .bind(int(p.received)?)
                    .bind(int(p.consumed)?)
                    .bind(&p.supplier)
                    .bind(micros(p.created_at))
                    .execute(&mut *conn)
                    .await
                    .map_err(refused(&format!("purchase {}", p.id)))?;
                }
                InventoryOp::Receive(r) => {
                    let done = query(AssertSqlSafe(format!(
                        "UPDATE purchases SET received = received + $1 \
                         WHERE organization = $2 AND id = $3 AND received + $1 <= {}",
                        orderflow_store::inventory::UNITS_MAX
                    )))
                    .bind(int(r.quantity)?)
                    .bind(&r.organization)
                    .bind(&r.purchase)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    if done.rows_affected() == 0 {
                        let had = query(
                            "SELECT received FROM purchases WHERE organization = $1 AND id = $2",
                        )
                        .bind(&r.organization)
                        .bind(&r.purchase)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db)?;
                        return Err(match had {
                            Some(row) => StoreError::OutOfStock(format!(
                                "purchase {} has received {} units: it cannot receive {} more \
                                 (a purchase holds at most {})",
                                r.purchase,
                                get::<i64>(&row, "received")?,
                                r.quantity,
                                orderflow_store::inventory::UNITS_MAX_TEXT
                            )),
                            None => StoreError::NotFound(format!("purchase {}", r.purchase)),
                        });
                    }
                    query(
                        "INSERT INTO purchase_receipts (organization, purchase, seq, quantity, \
                         received_at, user_id) SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5 \
                         FROM purchase_receipts WHERE organization = $1 AND purchase = $2",
                    )
                    .bind(&r.organization)
                    .bind(&r.purchase)
                    .bind(int(r.quantity)?)
                    .bind(micros(r.received_at))
                    .bind(&r.user)
                    .execute(&mut *conn)
                    .await
                    .map_err(refused(&format!("receipt of purchase {}", r.purchase)))?;
                }
            }
            Ok(())
        }

        #[$crate::__private::async_trait::async_trait]
        impl InventoryStore for $store {
            async fn create_stock_location(&self, location: &StockLocation) -> Result<()> {
                write_unit(self, Op::Inventory(InventoryOp::CreateLocation(location.clone()))).await
            }

            async fn stock_locations(&self, organization: &str) -> Result<Vec<StockLocation>> {
                stock_locations(&self.$reads, organization).await
            }

            async fn create_bin(&self, bin: &StockBin) -> Result<()> {
                write_unit(self, Op::Inventory(InventoryOp::CreateBin(bin.clone()))).await
            }

            async fn adjust_bin(
                &self,
                organization: &str,
                location: &str,
                bin: &str,
                delta: i64,
            ) -> Result<()> {
                let op = InventoryOp::AdjustBin {
                    organization: organization.to_owned(),
                    location: location.to_owned(),
                    bin: bin.to_owned(),
                    delta,
                };
                write_unit(self, Op::Inventory(op)).await
            }

            async fn bins(&self, organization: &str, location: Option<&str>) -> Result<Vec<StockBin>> {
                bins(&self.$reads, organization, location).await
            }

            async fn create_purchase(&self, purchase: &PurchaseRecord) -> Result<()> {
                write_unit(self, Op::Inventory(InventoryOp::CreatePurchase(purchase.clone()))).await
            }

            async fn purchases(
                &self,
                organization: &str,
                location: Option<&str>,
            ) -> Result<Vec<PurchaseRecord>> {
                purchases(&self.$reads, organization, location).await
            }

            async fn purchase(&self, organization: &str, id: &str) -> Result<Option<PurchaseRecord>> {
                purchase(&self.$reads, organization, id).await
            }

            async fn receive(&self, receipt: &Receipt) -> Result<()> {
                write_unit(self, Op::Inventory(InventoryOp::Receive(receipt.clone()))).await
            }

            async fn receipts(&self, organization: &str, purchase: &str) -> Result<Vec<Receipt>> {
                receipts(&self.$reads, organization, purchase).await
            }

            async fn waiting_jobs(
                &self,
                organization: &str,
                slot: &str,
                kind: &str,
                statuses: &[&str],
                location: &str,
                limit: u32,
            ) -> Result<Vec<WaitingJob>> {
                waiting_jobs(&self.$reads, organization, slot, kind, statuses, location, limit).await
            }
        }
    };
}
