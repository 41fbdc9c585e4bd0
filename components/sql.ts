// SQL quoting: the one place every identifier and literal in this project's SQL goes through.
//
// Rules from PostgreSQL's lexical structure ("SQL Syntax > Lexical Structure"):
// - a quoted identifier is any text between double quotes, a double quote written twice; it may
//   contain anything but NUL, and it is case-sensitive (never folded), so we always quote;
// - identifiers longer than NAMEDATALEN-1 (63) bytes are *truncated* with only a NOTICE, so a
//   longer name would silently address a different object: refuse it instead;
// - a string constant doubles its single quotes; whether a backslash is an escape depends on
//   `standard_conforming_strings` unless the constant is an escape string (E'...'), where a
//   doubled backslash is always one backslash. We therefore write E'...' whenever the value holds
//   a backslash — exactly what the server's own quote_literal() returns, so the two can be
//   compared in tests;
// - NUL cannot appear in any PostgreSQL text value: refuse it rather than let a driver cut it.
//
// Error messages never echo the value: a literal may be a secret.

/** PostgreSQL's default NAMEDATALEN is 64: identifiers hold at most 63 bytes (Azure keeps it). */
export const MAX_IDENTIFIER_BYTES = 63;

// A lone UTF-16 surrogate cannot be encoded as UTF-8; Node would replace it with U+FFFD and the
// server would see a different name than the caller meant.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertEncodable(value: string, what: string): void {
    if (typeof value !== "string") {
        throw new TypeError(`an SQL ${what} must be a string, got ${typeof value}`);
    }
    if (value.includes("\0")) {
        throw new Error(`an SQL ${what} cannot contain a NUL byte (PostgreSQL text never holds one)`);
    }
    if (LONE_SURROGATE.test(value)) {
        throw new Error(`an SQL ${what} cannot contain an unpaired UTF-16 surrogate`);
    }
}

/**
 * Quotes `name` as a PostgreSQL identifier: always double-quoted (so case, spaces, quotes,
 * semicolons and unicode survive), embedded double quotes doubled. Throws on an empty name, a NUL
 * byte, or a name longer than {@link MAX_IDENTIFIER_BYTES} bytes of UTF-8.
 */
export function quoteIdent(name: string): string {
    assertEncodable(name, "identifier");
    if (name.length === 0) {
        throw new Error("an SQL identifier cannot be empty");
    }
    const bytes = Buffer.byteLength(name, "utf8");
    if (bytes > MAX_IDENTIFIER_BYTES) {
        throw new Error(
            `an SQL identifier is limited to ${MAX_IDENTIFIER_BYTES} bytes of UTF-8 ` +
                `(PostgreSQL would silently truncate it); this one has ${bytes}`,
        );
    }
    return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Quotes `value` as a PostgreSQL string constant that means the same text whatever
 * `standard_conforming_strings` is: single quotes doubled, and, when the value holds a backslash,
 * written as an escape string `E'...'` with backslashes doubled (the output of the server's own
 * `quote_literal()`). Throws on a NUL byte.
 */
export function quoteLiteral(value: string): string {
    assertEncodable(value, "literal");
    const quoted = value.replace(/'/g, "''");
    return value.includes("\\") ? `E'${quoted.replace(/\\/g, "\\\\")}'` : `'${quoted}'`;
}
