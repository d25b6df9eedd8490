//! The schema, as numbered migrations: SQLite's `user_version` is the number applied.
//! A migration is never edited once released; a change is a new one at the end.

/// Migrations in order; `user_version` is the number applied.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE folder_state (
        folder      TEXT PRIMARY KEY,
        uidvalidity INTEGER NOT NULL,
        last_uid    INTEGER NOT NULL
    );
    CREATE TABLE tickets (
        id                INTEGER PRIMARY KEY,
        service           TEXT NOT NULL,
        subject           TEXT NOT NULL,
        requester         TEXT NOT NULL,
        requester_name    TEXT,
        status            TEXT NOT NULL,
        assignee          TEXT,
        section           TEXT,
        created_at        TEXT NOT NULL,
        due_at            TEXT,
        escalation_due_at TEXT,
        first_response_at TEXT,
        resolved_at       TEXT,
        closed_at         TEXT,
        paused_at         TEXT,
        last_progress_at  TEXT,
        previous_ticket   INTEGER REFERENCES tickets(id),
        root_message_id   TEXT
    );
    CREATE INDEX tickets_status ON tickets(status);
    -- Every mail received. dedup_key is "mid:<Message-ID>:<content hash>" or, for a mail
    -- without Message-ID, "uid:<uidvalidity>:<uid>": a re-fetch is a no-op, while a
    -- different mail that reuses a Message-ID is still kept.
    CREATE TABLE messages (
        id          INTEGER PRIMARY KEY,
        dedup_key   TEXT NOT NULL UNIQUE,
        message_id  TEXT,
        raw_sha256  TEXT NOT NULL,
        ticket_id   INTEGER REFERENCES tickets(id),
        folder      TEXT,
        uidvalidity INTEGER,
        uid         INTEGER,
        kind        TEXT NOT NULL,
        reason      TEXT,
        sender      TEXT,
        subject     TEXT NOT NULL DEFAULT '',
        body        TEXT NOT NULL DEFAULT '',
        size        INTEGER NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX messages_uid ON messages(folder, uidvalidity, uid);
    CREATE INDEX messages_ticket ON messages(ticket_id);
    CREATE INDEX messages_sender ON messages(sender, received_at);
    -- Every Message-ID we know belongs to a ticket: received and sent. Threads are
    -- followed through In-Reply-To/References by looking ids up here.
    -- kind: 'in' (received), 'out' (sent to the stakeholder), 'staff' (sent to staff:
    -- a reply to it comes from staff, never from the stakeholder).
    CREATE TABLE thread_ids (
        message_id TEXT PRIMARY KEY,
        ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
        kind       TEXT NOT NULL
    );
    -- Staff who took part in a ticket: they get its notes and news.
    CREATE TABLE participants (
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        address   TEXT NOT NULL,
        PRIMARY KEY (ticket_id, address)
    );
    -- Satisfaction answers (IKM scale 1-4).
    CREATE TABLE ratings (
        ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id),
        score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 4),
        comment     TEXT NOT NULL DEFAULT '',
        at          TEXT NOT NULL,
        message_row INTEGER REFERENCES messages(id)
    );
    -- Small settings the daemon keeps (round-robin position).
    CREATE TABLE kv (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE attachments (
        id          INTEGER PRIMARY KEY,
        message_row INTEGER NOT NULL REFERENCES messages(id),
        sha256      TEXT NOT NULL,
        filename    TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size        INTEGER NOT NULL
    );
    CREATE INDEX attachments_message ON attachments(message_row);
    -- The ticket's history; its status is derivable from the last to_status.
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        kind        TEXT NOT NULL,
        from_status TEXT,
        to_status   TEXT,
        message_row INTEGER REFERENCES messages(id),
        detail      TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_ticket ON events(ticket_id);
    -- Mail to send. `dedup` makes a scheduled mail idempotent across restarts.
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        ticket_id       INTEGER REFERENCES tickets(id),
        kind            TEXT NOT NULL,
        message_id      TEXT NOT NULL UNIQUE,
        recipients      TEXT NOT NULL,
        raw             BLOB NOT NULL,
        automatic       INTEGER NOT NULL,
        dedup           TEXT UNIQUE,
        status          TEXT NOT NULL DEFAULT 'pending',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        sent_at         TEXT
    );
    CREATE INDEX outbox_pending ON outbox(status, next_attempt_at);
    CREATE INDEX outbox_recipient ON outbox(recipients, created_at);
    -- Mail that could not be processed: kept on the server in the quarantine folder
    -- and recorded here with the reason.
    CREATE TABLE quarantine (
        id          INTEGER PRIMARY KEY,
        folder      TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid         INTEGER NOT NULL,
        raw_sha256  TEXT,
        sender      TEXT,
        size        INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        at          TEXT NOT NULL,
        UNIQUE(folder, uidvalidity, uid)
    );
    "#,
    // 2: `loketd report --from/--to` selects tickets by creation time.
    r#"
    CREATE INDEX tickets_created ON tickets(created_at);
    "#,
    // 3: the stakeholder's colleagues in To/Cc of their first mail belong to the ticket
    // (the office's own addresses never do).
    r#"
    CREATE TABLE copied (
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        address   TEXT NOT NULL,
        name      TEXT,
        PRIMARY KEY (ticket_id, address)
    );
    ALTER TABLE tickets ADD COLUMN expected_on TEXT;
    "#,
    // 4: what the relay, the attachment store and retention look up by: a ticket's sent
    // mail (read back on every reply), and who still names a raw file or attachment.
    r#"
    CREATE INDEX outbox_ticket ON outbox(ticket_id);
    CREATE INDEX messages_raw ON messages(raw_sha256);
    CREATE INDEX attachments_sha256 ON attachments(sha256);
    "#,
    // 5: how a consultation reached the office (email, or recorded by a CSO from the
    // front desk, the phone, WhatsApp or HAI CSO).
    r#"
    ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
    CREATE INDEX tickets_channel ON tickets(channel, created_at);
    "#,
    // 6: what `#antrean` and `#riwayat` look up (a staff member's
    // open tickets, a section's escalations, a requester's tickets).
    r#"
    CREATE INDEX tickets_assignee ON tickets(assignee, status);
    CREATE INDEX tickets_section ON tickets(section, status);
    CREATE INDEX tickets_requester ON tickets(requester, created_at);
    "#,
    // 7: the SKM of PermenPANRB 14/2017: one respondent's nine scores per
    // ticket (a later answer replaces), from the stakeholder's reply ('mail') or a paper
    // form a CSO entered ('paper'); the profile in groups, every field optional.
    r#"
    CREATE TABLE skm_responses (
        ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id),
        source      TEXT NOT NULL,
        u1 INTEGER NOT NULL CHECK (u1 BETWEEN 1 AND 4),
        u2 INTEGER NOT NULL CHECK (u2 BETWEEN 1 AND 4),
        u3 INTEGER NOT NULL CHECK (u3 BETWEEN 1 AND 4),
        u4 INTEGER NOT NULL CHECK (u4 BETWEEN 1 AND 4),
        u5 INTEGER NOT NULL CHECK (u5 BETWEEN 1 AND 4),
        u6 INTEGER NOT NULL CHECK (u6 BETWEEN 1 AND 4),
        u7 INTEGER NOT NULL CHECK (u7 BETWEEN 1 AND 4),
        u8 INTEGER NOT NULL CHECK (u8 BETWEEN 1 AND 4),
        u9 INTEGER NOT NULL CHECK (u9 BETWEEN 1 AND 4),
        comment     TEXT NOT NULL DEFAULT '',
        age_group   TEXT,
        sex         TEXT,
        education   TEXT,
        occupation  TEXT,
        at          TEXT NOT NULL,
        entered_by  TEXT,
        message_row INTEGER REFERENCES messages(id)
    );
    CREATE INDEX skm_responses_at ON skm_responses(at);
    "#,
    // 8: the loop guard finds a sender's repeated text by its hash, not by reading the
    // body of each of their mails of the hour.
    r#"
    ALTER TABLE messages ADD COLUMN body_sha256 TEXT;
    CREATE INDEX messages_sender_body ON messages(sender, body_sha256, received_at);
    "#,
];
