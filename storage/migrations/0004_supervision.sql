-- Supervision projections (issue 6): problem leads, payment batches and the
-- reserve fund. All are folded from the log and rebuilt with it.

-- Problem leads (问题线索). The complainant is only in data (the detail
-- screen); lists and exports read the columns, which never hold it.
CREATE TABLE leads (
    id                TEXT PRIMARY KEY,
    township_code     TEXT NOT NULL,
    source            TEXT NOT NULL,
    received_on       TEXT NOT NULL,
    mode              TEXT NOT NULL,
    assignee          TEXT NOT NULL,
    state             TEXT NOT NULL,
    deadline          TEXT NOT NULL,
    subject_household TEXT NOT NULL,
    subject_name      TEXT NOT NULL,
    result            TEXT NOT NULL,
    recovered         INTEGER NOT NULL,
    concluded_on      TEXT NOT NULL,
    closed_on         TEXT NOT NULL,
    data              TEXT NOT NULL      -- app.Lead as JSON
) STRICT;
CREATE INDEX leads_open_deadline ON leads (deadline) WHERE state IN ('registered', 'handling');
CREATE INDEX leads_household ON leads (subject_household) WHERE subject_household <> '';
CREATE INDEX leads_received ON leads (received_on);

-- Monthly payment rosters and their lines.
CREATE TABLE payment_batches (
    id         TEXT PRIMARY KEY,
    month      TEXT NOT NULL,
    created_on TEXT NOT NULL,
    sent_on    TEXT NOT NULL,
    return_on  TEXT NOT NULL,
    items      INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    data       TEXT NOT NULL             -- app.PaymentBatch without items, as JSON
) STRICT;
CREATE INDEX payment_batches_month ON payment_batches (month);

CREATE TABLE payment_items (
    batch_id      TEXT NOT NULL REFERENCES payment_batches (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    case_id       TEXT NOT NULL,
    household_id  TEXT NOT NULL,
    program       TEXT NOT NULL,
    month         TEXT NOT NULL,
    payee_name    TEXT NOT NULL,
    payee_id      TEXT NOT NULL,
    account       TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    paid_amount   INTEGER NOT NULL,
    requeued_from TEXT NOT NULL,
    data          TEXT NOT NULL,         -- app.PaymentItem as JSON
    PRIMARY KEY (batch_id, seq)
) STRICT;
CREATE INDEX payment_items_case ON payment_items (case_id, month);
CREATE INDEX payment_items_month ON payment_items (month, status);
CREATE INDEX payment_items_requeued ON payment_items (requeued_from) WHERE requeued_from <> '';

-- Money received into the 临时救助 reserve fund (备用金).
CREATE TABLE reserve_receipts (
    event_id TEXT PRIMARY KEY,
    date     TEXT NOT NULL,
    amount   INTEGER NOT NULL,
    note     TEXT NOT NULL,
    added_by TEXT NOT NULL
) STRICT;
CREATE INDEX reserve_receipts_date ON reserve_receipts (date);

-- The audit screen filters by actor and time over the whole log.
CREATE INDEX events_actor ON events (actor_name, hlc);
CREATE INDEX events_hlc ON events (hlc);
