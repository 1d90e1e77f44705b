import GRDB

/// Every schema change, in order. Append only: never edit or reorder a registered migration, add a new one.
/// Each runs in its own transaction (GRDB's default) and uses SQL only, never app types, so an old migration keeps
/// meaning what it meant when it shipped.
enum StoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1 binding") { db in
            // One row per bound account. Declarants are keyed by User ID, admin accounts by tax code; the CHECK keeps
            // the two shapes apart, the partial unique index keeps a certificate to one declarant account.
            try db.execute(sql: """
                CREATE TABLE binding (
                    accountKey TEXT NOT NULL PRIMARY KEY,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'declarant')),
                    taxCode TEXT NOT NULL,
                    userId TEXT,
                    terminalId TEXT,
                    certificateSha256 TEXT NOT NULL CHECK (length(certificateSha256) = 64),
                    certificateSerial TEXT NOT NULL,
                    issuer TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    certificateTaxCode TEXT NOT NULL,
                    notBefore TEXT NOT NULL,
                    notAfter TEXT NOT NULL,
                    holderName TEXT,
                    holderIdentifiers TEXT NOT NULL,
                    statement BLOB NOT NULL CHECK (length(statement) > 0),
                    signature BLOB NOT NULL CHECK (length(signature) > 0),
                    createdAt TEXT NOT NULL,
                    CHECK ((role = 'declarant' AND userId IS NOT NULL AND terminalId IS NOT NULL AND accountKey = userId)
                        OR (role = 'admin' AND userId IS NULL AND terminalId IS NULL AND accountKey = taxCode))
                ) STRICT
                """)
            try db.execute(sql: """
                CREATE UNIQUE INDEX binding_declarant_certificate ON binding (certificateSha256) WHERE role = 'declarant'
                """)
        }

        migrator.registerMigration("v1 secret") { db in
            // Sealed account secrets; removing a binding removes its secrets.
            try db.execute(sql: """
                CREATE TABLE secret (
                    userId TEXT NOT NULL REFERENCES binding (accountKey) ON DELETE CASCADE ON UPDATE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('terminalAccessKey', 'password')),
                    sealing TEXT NOT NULL CHECK (sealing IN ('token', 'host')),
                    certificateSha256 TEXT,
                    ciphertext BLOB NOT NULL CHECK (length(ciphertext) > 0),
                    createdAt TEXT NOT NULL,
                    PRIMARY KEY (userId, kind),
                    CHECK ((sealing = 'token') = (certificateSha256 IS NOT NULL))
                ) STRICT
                """)
        }

        migrator.registerMigration("v1 audit") { db in
            try db.execute(sql: """
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    timeMilliseconds INTEGER NOT NULL,
                    uid INTEGER,
                    pid INTEGER,
                    executable TEXT,
                    action TEXT NOT NULL,
                    tokenId TEXT,
                    certificateSha256 TEXT,
                    mechanism TEXT,
                    dataSha256 TEXT,
                    outcome TEXT NOT NULL,
                    detail TEXT
                ) STRICT
                """)
            try db.execute(sql: "CREATE INDEX audit_time ON audit (timeMilliseconds)")
        }

        migrator.registerMigration("v2 secret oaepHash") { db in
            // Which RSA-OAEP hash a token sealing used: tokens differ in what they accept (SoftHSM 2.6: SHA-1 only).
            try db.execute(sql: "ALTER TABLE secret ADD COLUMN oaepHash TEXT CHECK (oaepHash IN ('sha256', 'sha1'))")
        }

        migrator.registerMigration("v3 registration_statement") { db in
            // Registration statements kysod signed (SHA-256 of the canonical bytes) and when each was bound: a
            // binding needs an issued, never-bound statement. Bindings made before this table have no rows; their
            // statements are past the age limit, so they cannot be bound again either.
            try db.execute(sql: """
                CREATE TABLE registration_statement (
                    sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
                    issuedAt TEXT NOT NULL,
                    consumedAt TEXT
                ) STRICT
                """)
        }

        migrator.registerMigration("v4 audit category") { db in
            // Separate retention for administrators' actions, successful operations and refusals, so that refusals
            // (which any caller can cause) cannot push the others out. The category and its sequence number are
            // filled in for existing records; new ones get them on insert (KysoStore.AuditCategory).
            try db.execute(sql: """
                ALTER TABLE audit ADD COLUMN category TEXT NOT NULL DEFAULT 'operation'
                    CHECK (category IN ('admin', 'operation', 'refusal'))
                """)
            try db.execute(sql: "ALTER TABLE audit ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0")
            try db.execute(sql: """
                UPDATE audit SET category = CASE
                    WHEN action IN ('bind', 'rebind', 'unbind', 'secret.store', 'secret.reveal', 'secret.delete') THEN 'admin'
                    WHEN outcome = 'success' THEN 'operation'
                    ELSE 'refusal' END
                """)
            try db.execute(sql: """
                UPDATE audit SET sequence = numbered.n
                FROM (SELECT id, row_number() OVER (PARTITION BY category ORDER BY id) AS n FROM audit) AS numbered
                WHERE numbered.id = audit.id
                """)
            try db.execute(sql: "CREATE INDEX audit_category_sequence ON audit (category, sequence)")
            // How many records the retention removed, so pruning is never silent (GET /v1/status shows it).
            try db.execute(sql: """
                CREATE TABLE auditPruning (
                    category TEXT NOT NULL PRIMARY KEY CHECK (category IN ('admin', 'operation', 'refusal')),
                    records INTEGER NOT NULL,
                    lastMilliseconds INTEGER NOT NULL
                ) STRICT
                """)
        }

        migrator.registerMigration("v5 reminder") { db in
            // Expiry and renewal reminders already sent (issue 13): kept across restarts, so a restart does not send
            // a pending reminder once more. A key names the reminder (kind, account or certificate, threshold).
            try db.execute(sql: """
                CREATE TABLE reminder (
                    key TEXT PRIMARY KEY NOT NULL CHECK (length(key) > 0),
                    sentAt TEXT NOT NULL
                ) STRICT
                """)
        }

        return migrator
    }
}
