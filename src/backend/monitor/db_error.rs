//! What the operator reads when PostgreSQL refuses or fails: the server's message when
//! there is one, else the whole chain of causes.

/// A database error as the operator needs it: the server's message when there is one.
pub fn db_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let hint = match db.code().code() {
            "28P01" | "28000" => " (authentication: check the password in the URL)",
            "53300" => " (too many connections)",
            _ => "",
        };
        format!("{}: {}{hint}", db.severity(), db.message())
    } else {
        let mut s = e.to_string();
        let mut cur = std::error::Error::source(e);
        while let Some(c) = cur {
            s.push_str(": ");
            s.push_str(&c.to_string());
            cur = c.source();
        }
        s
    }
}
