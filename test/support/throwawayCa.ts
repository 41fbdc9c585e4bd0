// A throwaway certificate authority and a server certificate for the local PostgreSQL, so the
// provider's unmodified TLS settings (verify the chain and the host name) work offline: Azure's
// servers present certificates chaining to public roots; here Node trusts this CA through
// NODE_EXTRA_CA_CERTS in the process that runs the provider. Keys come from Node's crypto
// (native, fast); node-forge only assembles and signs the X.509 structures.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface ServerCertificate {
    /** PEM of the CA certificate: what clients trust. */
    caPem: string;
    /** PEM of the server certificate (for ssl_cert_file). */
    certPem: string;
    /** PEM of the server's private key (for ssl_key_file, mode 0600). */
    keyPem: string;
}

function rsaKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    const forgeKey = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
    return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

function serial(): string {
    // Positive (high bit clear) 16-byte serial, as RFC 5280 asks.
    const bytes = randomBytes(16);
    bytes[0] &= 0x7f;
    return bytes.toString("hex");
}

/** Creates a CA valid for a day and a server certificate for the given DNS names and IP addresses. */
export function createServerCertificate(dnsNames: string[], ipAddresses: string[]): ServerCertificate {
    const now = Date.now();
    const notBefore = new Date(now - 60 * 60 * 1000);
    const notAfter = new Date(now + 24 * 60 * 60 * 1000);

    const ca = rsaKeyPair();
    const caCert = forge.pki.createCertificate();
    caCert.publicKey = ca.publicKey;
    caCert.serialNumber = serial();
    caCert.validity.notBefore = notBefore;
    caCert.validity.notAfter = notAfter;
    const caName = [{ name: "commonName", value: `kong-entra-postgres throwaway test CA ${serial().slice(0, 8)}` }];
    caCert.setSubject(caName);
    caCert.setIssuer(caName);
    caCert.setExtensions([
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        { name: "subjectKeyIdentifier" },
    ]);
    caCert.sign(ca.privateKey, forge.md.sha256.create());

    const server = rsaKeyPair();
    const cert = forge.pki.createCertificate();
    cert.publicKey = server.publicKey;
    cert.serialNumber = serial();
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = notAfter;
    cert.setSubject([{ name: "commonName", value: dnsNames[0] ?? ipAddresses[0] }]);
    cert.setIssuer(caName);
    cert.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        {
            name: "subjectAltName",
            altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ipAddresses.map((ip) => ({ type: 7, ip }))],
        },
        { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(ca.privateKey, forge.md.sha256.create());

    return {
        caPem: forge.pki.certificateToPem(caCert),
        certPem: forge.pki.certificateToPem(cert),
        keyPem: server.pem,
    };
}
