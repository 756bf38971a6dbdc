//! [`sql_schedule!`]: the scheduler's rows (schedule runs, order timers),
//! expanded by [`sql_store!`](crate::sql_store) into the same module, where
//! it uses the row mapping and helpers defined there.

/// Expands to `apply_schedule(conn, op)` for a
/// [`ScheduleOp`](crate::ScheduleOp), `write_timers(conn, commit)` for a
/// commit's timers, the reads, and `impl ScheduleStore`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_schedule {
    (row: $row:ty, pool: $pool:ty, connection: $conn:ty, store: $store:ty,
     reads: $reads:ident, claim_lock: $lock:literal) => {
        use $crate::__private::orderflow_store::{
            OrderTimer, ScheduleRun, ScheduleStore, TimerStatus, TimerWrite,
        };
        use $crate::ScheduleOp;

        const TIMER_COLUMNS: &str =
            "order_id, timer, action, due_at, status, set_at, updated_at, last_error";

        fn timer_of(row: &$row) -> Result<OrderTimer> {
            let status: String = get(row, "status")?;
            Ok(OrderTimer {
                order_id: get(row, "order_id")?,
                timer: get(row, "timer")?,
                action: get(row, "action")?,
                due_at: time(row, "due_at")?,
                status: TimerStatus::parse(&status)
                    .ok_or_else(|| backend(format!("timer status {status:?}")))?,
                set_at: time(row, "set_at")?,
                updated_at: time(row, "updated_at")?,
                last_error: get(row, "last_error")?,
            })
        }

        fn schedule_run_of(row: &$row) -> Result<ScheduleRun> {
            let last: Option<i64> = get(row, "last_run_at")?;
            Ok(ScheduleRun {
                key: get(row, "key")?,
                next_run_at: time(row, "next_run_at")?,
                last_run_at: last.map(from_micros).transpose()?,
                runs: uint(get(row, "runs")?)?,
            })
        }

        /// Cancels the order's timer if it is still pending; the rows
        /// changed (0 when it fired, ran or was canceled already).
        async fn cancel_pending(conn: &mut $conn, order_id: &str, timer: &str, at: i64) -> Result<u64> {
            let done = query(
                "UPDATE order_timers SET status = 'canceled', updated_at = $1 \
                 WHERE order_id = $2 AND timer = $3 AND status = 'pending'",
            )
            .bind(at)
            .bind(order_id)
            .bind(timer)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            Ok(done.rows_affected())
        }

        /// The timers a commit sets or clears, at the change's time.
        async fn write_timers(conn: &mut $conn, c: &Commit) -> Result<()> {
            let at = micros(c.order.updated_at.unwrap_or_default());
            for write in &c.timers {
                match write {
                    TimerWrite::Set {
                        timer,
                        action,
                        due_at,
                    } => {
                        query(
                            "INSERT INTO order_timers (order_id, timer, action, due_at, status, \
                             set_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6) \
                             ON CONFLICT (order_id, timer) DO UPDATE SET action = excluded.action, \
                             due_at = excluded.due_at, status = 'pending', set_at = excluded.set_at, \
                             updated_at = excluded.updated_at, last_error = NULL",
                        )
                        .bind(&c.order.id)
                        .bind(timer)
                        .bind(action)
                        .bind(micros(*due_at))
                        .bind(at)
                        .bind(at)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    }
                    TimerWrite::Clear { timer } => {
                        cancel_pending(conn, &c.order.id, timer, at).await?;
                    }
                }
            }
            Ok(())
        }

        async fn apply_schedule(conn: &mut $conn, op: &ScheduleOp) -> Result<Done> {
            match op {
                ScheduleOp::ClaimRun {
                    key,
                    now,
                    next,
                    first,
                } => {
                    query(
                        "INSERT INTO schedule_runs (key, next_run_at, runs) VALUES ($1, $2, 0) \
                         ON CONFLICT (key) DO NOTHING",
                    )
                    .bind(key)
                    .bind(micros(*first))
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    let claimed = query(concat!(
                        "UPDATE schedule_runs SET next_run_at = $1, last_run_at = $2, \
                         runs = runs + 1 WHERE key IN (SELECT key FROM schedule_runs \
                         WHERE key = $3 AND next_run_at <= $4",
                        $lock,
                        ")",
                    ))
                    .bind(micros(*next))
                    .bind(micros(*now))
                    .bind(key)
                    .bind(micros(*now))
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    Ok(Done::RunClaimed(claimed.rows_affected() > 0))
                }
                ScheduleOp::ClaimTimers {
                    now,
                    lease_secs,
                    limit,
                } => {
                    let now_us = micros(*now);
                    let stale = micros(*now - Duration::seconds(i64::from(*lease_secs)));
                    let rows = query(AssertSqlSafe(format!(
                        "UPDATE order_timers SET status = 'running', updated_at = $1 \
                         WHERE (order_id, timer) IN (SELECT order_id, timer FROM order_timers \
                         WHERE (status = 'pending' AND due_at <= $2) \
                         OR (status = 'running' AND updated_at <= $3) \
                         ORDER BY due_at, order_id, timer LIMIT $4{}) RETURNING {TIMER_COLUMNS}",
                        $lock
                    )))
                    .bind(now_us)
                    .bind(now_us)
                    .bind(stale)
                    .bind(i64::from(clamp_limit(*limit)))
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db)?;
                    let mut out = rows.iter().map(timer_of).collect::<Result<Vec<_>>>()?;
                    out.sort_by(|a, b| {
                        (a.due_at, &a.order_id, &a.timer).cmp(&(b.due_at, &b.order_id, &b.timer))
                    });
                    Ok(Done::Timers(out))
                }
                ScheduleOp::Finished {
                    order_id,
                    timer,
                    now,
                    error,
                } => {
                    let status = if error.is_some() {
                        TimerStatus::Failed
                    } else {
                        TimerStatus::Fired
                    };
                    let done = query(
                        "UPDATE order_timers SET status = $1, updated_at = $2, last_error = $3 \
                         WHERE order_id = $4 AND timer = $5 AND status = 'running'",
                    )
                    .bind(status.as_str())
                    .bind(micros(*now))
                    .bind(error)
                    .bind(order_id)
                    .bind(timer)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    found(done.rows_affected(), || format!("running timer {timer}"))
                        .map(|()| Done::Unit)
                }
                ScheduleOp::Cancel {
                    order_id,
                    timer,
                    now,
                } => {
                    let canceled = cancel_pending(conn, order_id, timer, micros(*now)).await?;
                    found(canceled, || format!("pending timer {timer}")).map(|()| Done::Unit)
                }
                ScheduleOp::Reschedule {
                    order_id,
                    timer,
                    due_at,
                    now,
                } => {
                    let done = query(
                        "UPDATE order_timers SET due_at = $1, updated_at = $2 \
                         WHERE order_id = $3 AND timer = $4 AND status = 'pending'",
                    )
                    .bind(micros(*due_at))
                    .bind(micros(*now))
                    .bind(order_id)
                    .bind(timer)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    found(done.rows_affected(), || format!("pending timer {timer}"))
                        .map(|()| Done::Unit)
                }
            }
        }

        #[$crate::__private::async_trait::async_trait]
        impl ScheduleStore for $store {
            async fn claim_schedule_run(
                &self,
                key: &str,
                now: DateTime<Utc>,
                next_run_at: DateTime<Utc>,
                first_run_at: DateTime<Utc>,
            ) -> Result<bool> {
                let op = ScheduleOp::ClaimRun {
                    key: key.to_owned(),
                    now,
                    next: next_run_at,
                    first: first_run_at,
                };
                match self.write(Op::Schedule(op)).await? {
                    Done::RunClaimed(claimed) => Ok(claimed),
                    _ => Ok(false),
                }
            }

            async fn schedule_runs(&self) -> Result<Vec<ScheduleRun>> {
                all(
                    query(
                        "SELECT key, next_run_at, last_run_at, runs FROM schedule_runs \
                         ORDER BY key LIMIT $1",
                    )
                    .bind(i64::from(MAX_LIMIT)),
                    &self.$reads,
                    schedule_run_of,
                )
                .await
            }

            async fn claim_due_timers(
                &self,
                now: DateTime<Utc>,
                lease_secs: u32,
                limit: u32,
            ) -> Result<Vec<OrderTimer>> {
                let op = ScheduleOp::ClaimTimers {
                    now,
                    lease_secs,
                    limit,
                };
                match self.write(Op::Schedule(op)).await? {
                    Done::Timers(timers) => Ok(timers),
                    _ => Ok(Vec::new()),
                }
            }

            async fn timer_finished(
                &self,
                order_id: &str,
                timer: &str,
                now: DateTime<Utc>,
                error: Option<&str>,
            ) -> Result<()> {
                let op = ScheduleOp::Finished {
                    order_id: order_id.to_owned(),
                    timer: timer.to_owned(),
                    now,
                    error: error.map(str::to_owned),
                };
                self.write(Op::Schedule(op)).await.map(|_| ())
            }

            async fn order_timers(&self, order_id: &str) -> Result<Vec<OrderTimer>> {
                all(
                    query(AssertSqlSafe(format!(
                        "SELECT {TIMER_COLUMNS} FROM order_timers WHERE order_id = $1 \
                         ORDER BY due_at, timer LIMIT $2"
                    )))
                    .bind(order_id)
                    .bind(i64::from(MAX_LIMIT)),
                    &self.$reads,
                    timer_of,
                )
                .await
            }

            async fn cancel_timer(
                &self,
                order_id: &str,
                timer: &str,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let op = ScheduleOp::Cancel {
                    order_id: order_id.to_owned(),
                    timer: timer.to_owned(),
                    now,
                };
                self.write(Op::Schedule(op)).await.map(|_| ())
            }

            async fn reschedule_timer(
                &self,
                order_id: &str,
                timer: &str,
                due_at: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let op = ScheduleOp::Reschedule {
                    order_id: order_id.to_owned(),
                    timer: timer.to_owned(),
                    due_at,
                    now,
                };
                self.write(Op::Schedule(op)).await.map(|_| ())
            }
        }
    };
}
