// Pure tests of components/sql.ts. The same helpers are round-tripped through a real PostgreSQL
// (16 and 17, with standard_conforming_strings on and off) in the entraPrincipal suites.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_IDENTIFIER_BYTES, quoteIdent, quoteLiteral } from "../components/sql";

describe("quoteIdent", () => {
    it("always double-quotes, so case and reserved words survive", () => {
        assert.equal(quoteIdent("kong"), '"kong"');
        assert.equal(quoteIdent("Kong"), '"Kong"');
        assert.equal(quoteIdent("select"), '"select"');
    });

    it("doubles embedded double quotes and leaves everything else alone", () => {
        assert.equal(quoteIdent('a"b'), '"a""b"');
        assert.equal(quoteIdent('"'), '""""');
        assert.equal(quoteIdent("Kong Deployers"), '"Kong Deployers"');
        assert.equal(quoteIdent("x'; DROP ROLE y; --"), `"x'; DROP ROLE y; --"`);
        assert.equal(quoteIdent("back\\slash"), '"back\\slash"');
        assert.equal(quoteIdent("kön 🚀"), '"kön 🚀"');
        assert.equal(quoteIdent("line\nbreak"), '"line\nbreak"');
    });

    it("rejects empty names, NUL bytes and unpaired surrogates", () => {
        assert.throws(() => quoteIdent(""), /cannot be empty/);
        assert.throws(() => quoteIdent("a\0b"), /NUL/);
        assert.throws(() => quoteIdent("a\uD800b"), /surrogate/);
        assert.throws(() => quoteIdent("a\uDC00"), /surrogate/);
        assert.throws(() => quoteIdent(undefined as unknown as string), TypeError);
    });

    it("refuses names PostgreSQL would silently truncate (counted in UTF-8 bytes)", () => {
        assert.equal(quoteIdent("a".repeat(MAX_IDENTIFIER_BYTES)), `"${"a".repeat(63)}"`);
        assert.throws(() => quoteIdent("a".repeat(MAX_IDENTIFIER_BYTES + 1)), /63 bytes/);
        // 32 × "é" is 32 characters but 64 bytes.
        assert.throws(() => quoteIdent("é".repeat(32)), /this one has 64/);
    });
});

describe("quoteLiteral", () => {
    it("doubles single quotes", () => {
        assert.equal(quoteLiteral("plain"), "'plain'");
        assert.equal(quoteLiteral(""), "''");
        assert.equal(quoteLiteral("O'Reilly"), "'O''Reilly'");
        assert.equal(quoteLiteral("'; DROP TABLE t; --"), "'''; DROP TABLE t; --'");
        assert.equal(quoteLiteral('say "hi"'), `'say "hi"'`);
        assert.equal(quoteLiteral("kön 🚀"), "'kön 🚀'");
    });

    it("uses an escape string with doubled backslashes whenever a backslash appears", () => {
        assert.equal(quoteLiteral("a\\b"), "E'a\\\\b'");
        assert.equal(quoteLiteral("\\"), "E'\\\\'");
        // A trailing backslash must not escape the closing quote, whatever the server setting.
        assert.equal(quoteLiteral("x\\'"), "E'x\\\\'''");
    });

    it("rejects NUL bytes and unpaired surrogates without echoing the value", () => {
        assert.throws(() => quoteLiteral("secret\0value"), (e: Error) => /NUL/.test(e.message) && !e.message.includes("secret"));
        assert.throws(() => quoteLiteral("\uD83D"), /surrogate/);
    });

    it("keeps a well-formed surrogate pair (an emoji)", () => {
        assert.equal(quoteLiteral("🚀"), "'🚀'");
    });
});
