import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.text.SimpleDateFormat;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TimeZone;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Cipher;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSEncryptionPart;
import org.apache.ws.security.WSSConfig;
import org.apache.ws.security.components.crypto.Merlin;
import org.apache.ws.security.message.WSSecHeader;
import org.apache.ws.security.message.WSSecSignature;
import org.apache.ws.security.message.WSSecTimestamp;
import org.apache.xml.security.c14n.Canonicalizer;
import org.apache.xml.security.keys.content.X509Data;
import org.apache.xml.security.signature.XMLSignature;
import org.apache.xml.security.transforms.Transforms;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Independent Java client of the interop suite (issue #6 §2, §4), built only on Debian's jars and the JDK:
 * Apache Santuario (libxml-security-java) makes the CertRA/EtkRA enveloped signatures the way the eHealth technical
 * connector's XmlSignatureBuilder does (ds:Signature appended as last child of the request element, Id="xmldsig-…",
 * exc-c14n, rsa-sha256, enveloped-signature + exc-c14n transforms, X509Data = chain); WSS4J 1.6 (libwss4j-java) signs
 * GetEtk with BST + Timestamp + Body (+ BST); the JDK's javax.xml.crypto.dsig verifies our signed responses.
 *
 * usage: java -cp … EhealthInteropClient CONFIG.properties   (written by test/interop/run.mjs)
 */
public final class EhealthInteropClient {
    static final String SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
    static final String CERTRA = "urn:be:fgov:ehealth:certra:protocol:v2";
    static final String ETKRA = "urn:be:fgov:ehealth:etkra:protocol:v2";
    static final String DEPOT = "urn:be:fgov:ehealth:etkdepot:1_0:protocol";
    static final String CORE2 = "urn:be:fgov:ehealth:commons:core:v2";
    static final String CERTRA_CORE = "urn:be:fgov:ehealth:certra:core:v2";
    static final String DS = "http://www.w3.org/2000/09/xmldsig#";
    static final String WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    static final String WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    static final String SOA = "urn:be:fgov:ehealth:errors:soa:v1";
    static final String SUCCESS = "urn:be:fgov:ehealth:2.0:status:Success";
    static final String CLIENT = "java-santuario-wss4j";

    static final class StepFailed extends Exception {
        private static final long serialVersionUID = 1L;

        StepFailed(String message) { super(message); }
    }

    interface StepBody { void run() throws Exception; }

    final Properties cfg = new Properties();
    final Map<String, Boolean> outcome = new HashMap<>();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    final Path work;
    final Path messages;
    String currentStep = "setup";
    String intent = "valid";
    int sequence;
    Writer results;
    Writer index;
    // state
    X509Certificate root;
    X509Certificate issuing;
    PrivateKey eidSignatureKey;
    List<X509Certificate> eidSignatureChain;
    PrivateKey eidAuthKey;
    List<X509Certificate> eidAuthChain;
    PrivateKey untrustedKey;
    List<X509Certificate> untrustedChain;
    String contractDn;
    Element contract;
    PrivateKey ehealthKey;
    PublicKey ehealthPublic;
    byte[] pki;
    List<X509Certificate> ehealthChain;
    byte[] etk;
    byte[] lastResponse;
    int lastStatus;

    EhealthInteropClient(Path config) throws Exception {
        try (InputStream in = new FileInputStream(config.toFile())) { cfg.load(in); }
        work = Path.of(cfg.getProperty("workDir"));
        messages = Path.of(cfg.getProperty("messages"));
        Files.createDirectories(work);
        Files.createDirectories(messages);
        results = Files.newBufferedWriter(Path.of(cfg.getProperty("results")), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        index = Files.newBufferedWriter(messages.resolve("index.jsonl"), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    public static void main(String[] args) throws Exception {
        org.apache.xml.security.Init.init();
        WSSConfig.init();
        EhealthInteropClient client = new EhealthInteropClient(Path.of(args[0]));
        client.scenario();
        client.results.close();
        client.index.close();
    }

    // ----------------------------------------------------------------------------------------------------------------
    void step(String name, String operation, String stepIntent, List<String> needs, StepBody body) throws IOException {
        List<String> blocked = new ArrayList<>();
        for (String n : needs) if (!Boolean.TRUE.equals(outcome.get(n))) blocked.add(n);
        long started = System.currentTimeMillis();
        boolean ok = false;
        String detail = "";
        if (!blocked.isEmpty()) {
            detail = "blocked: prerequisite step(s) failed: " + String.join("; ", blocked);
        } else {
            currentStep = name;
            intent = stepIntent;
            try {
                body.run();
                ok = true;
            } catch (StepFailed e) {
                detail = e.getMessage();
            } catch (Exception e) {
                detail = e.getClass().getSimpleName() + ": " + e.getMessage();
                StackTraceElement[] trace = e.getStackTrace();
                if (trace.length > 0) detail += " at " + trace[0];
            } finally {
                currentStep = "setup";
                intent = "valid";
            }
        }
        outcome.put(name, ok);
        results.write("{\"client\":" + json(CLIENT) + ",\"engine\":" + json(cfg.getProperty("engine")) + ",\"step\":" + json(name)
                + ",\"operation\":" + (operation == null ? "null" : json(operation)) + ",\"ok\":" + ok + ",\"detail\":" + json(detail)
                + ",\"seconds\":" + ((System.currentTimeMillis() - started) / 1000.0) + "}\n");
        results.flush();
        System.out.println("  [" + (ok ? "PASS" : "FAIL") + "] " + CLIENT + " " + name + (detail.isEmpty() ? "" : " -- " + detail));
        System.out.flush();
    }

    static void check(boolean condition, String message) throws StepFailed {
        if (!condition) throw new StepFailed(message);
    }

    static String json(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    // ----------------------------------------------------------------------------------------------------------------
    void scenario() throws Exception {
        System.out.println("java client: " + cfg.getProperty("baseUrl") + " (" + cfg.getProperty("engine") + ")");
        String ssin = cfg.getProperty("person.ssin");
        String given = cfg.getProperty("person.given");
        String surname = cfg.getProperty("person.surname");
        root = readCertificates(Path.of(cfg.getProperty("rootCa"))).get(0);
        issuing = readCertificates(Path.of(cfg.getProperty("issuingCa"))).get(0);
        Path me = Path.of(cfg.getProperty("identity.java"));
        Path untrusted = Path.of(cfg.getProperty("identity.untrusted"));
        step("load the development eID identities (PEM, PKCS#8)", null, "valid", List.of(), () -> {
            eidSignatureKey = readPrivateKey(me.resolve("signature.key.pem"));
            eidSignatureChain = concat(readCertificates(me.resolve("signature.cert.pem")), readCertificates(me.resolve("chain.pem")));
            eidAuthKey = readPrivateKey(me.resolve("authentication.key.pem"));
            eidAuthChain = concat(readCertificates(me.resolve("authentication.cert.pem")), readCertificates(me.resolve("chain.pem")));
            untrustedKey = readPrivateKey(untrusted.resolve("authentication.key.pem"));
            untrustedChain = concat(readCertificates(untrusted.resolve("authentication.cert.pem")), readCertificates(untrusted.resolve("chain.pem")));
        });
        String ids = "load the development eID identities (PEM, PKCS#8)";

        step("generateContract (DOM request)", "generateContract", "valid", List.of(ids), () -> {
            Document doc = request(CERTRA, "GenerateContractRequest");
            Element req = doc.getDocumentElement();
            req.appendChild(contactData(doc, given));
            req.appendChild(actor(doc, CERTRA, "Signer", ssin, given, surname));
            Element identifier = el(doc, CERTRA, "CertificateIdentifier");
            identifier.appendChild(actor(doc, CERTRA_CORE, "Actor", ssin, given, surname));
            req.appendChild(identifier);
            Document response = send("/CertRa/v2", "urn:be:fgov:ehealth:certra:protocol:v2:generateContract", doc);
            expectSuccess(response, "generateContract");
            contract = first(response, CERTRA, "Contract");
            check(contract != null, "no Contract in the response");
            contractDn = text(first(contract, CERTRA_CORE, "DN"));
            check(contractDn.contains("SSIN=" + ssin) || contractDn.contains("SSIN\\=" + ssin), "contract DN " + contractDn + " lacks SSIN=" + ssin);
        });

        step("openssl CSR + generateCertificate (Santuario enveloped signature, eID Signature key)", "generateCertificate", "valid",
                List.of("generateContract (DOM request)"), () -> {
            Path key = work.resolve("java-ehealth.key.pem");
            Path csr = work.resolve("java-ehealth.csr.der");
            exec("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256", "-utf8", "-keyout", key.toString(),
                    "-subj", opensslSubject(contractDn), "-outform", "DER", "-out", csr.toString());
            ehealthKey = readPrivateKey(key);
            ehealthPublic = KeyFactory.getInstance("RSA").generatePublic(new java.security.spec.RSAPublicKeySpec(
                    ((java.security.interfaces.RSAPrivateCrtKey) ehealthKey).getModulus(), ((java.security.interfaces.RSAPrivateCrtKey) ehealthKey).getPublicExponent()));
            Document doc = request(CERTRA, "GenerateCertificateRequest");
            Element req = doc.getDocumentElement();
            Element csrElement = el(doc, CERTRA, "EHealthCSR");
            csrElement.appendChild(contactData(doc, given, CERTRA_CORE));
            csrElement.appendChild(textEl(doc, CERTRA_CORE, "CSR", Base64.getEncoder().encodeToString(Files.readAllBytes(csr))));
            Element copy = (Element) doc.importNode(contract, true);
            Element renamed = (Element) doc.renameNode(copy, CERTRA_CORE, "Contract");
            csrElement.appendChild(renamed);
            req.appendChild(csrElement);
            Document signed = signEnveloped(doc, eidSignatureKey, eidSignatureChain);
            Document response = send("/CertRa/v2", "urn:be:fgov:ehealth:etee:certra:protocol:v2:generatecertificate", signed);
            expectSuccess(response, "generateCertificate");
            pki = hex(text(first(response, CERTRA, "PublicKeyIdentifier")));
            check(Arrays.equals(pki, subjectKeyIdentifier(ehealthPublic)), "PublicKeyIdentifier is not the SHA-1 of our subjectPublicKey");
            check("true".equals(text(first(response, CERTRA, "AutomaticallyValidated"))),
                    "AutomaticallyValidated=false for an own-SSIN request: the Java client has no manual-validation path");
        });

        step("getCertificate (PKIX path to the platform root)", "getCertificate", "valid",
                List.of("openssl CSR + generateCertificate (Santuario enveloped signature, eID Signature key)"), () -> {
            long deadline = System.currentTimeMillis() + 30_000;
            Document response;
            while (true) {
                Document doc = request(CERTRA, "GetCertificateRequest");
                doc.getDocumentElement().appendChild(textEl(doc, CERTRA, "PublicKeyIdentifier", toHex(pki)));
                response = send("/CertRa/v2", "urn:be:fgov:ehealth:etee:certra:protocol:v2:getcertificate", doc);
                if (SUCCESS.equals(statusValue(response))) break;
                check(statusText(response).contains("CERT_NOT_YET_DELIVERED") && System.currentTimeMillis() < deadline,
                        "getCertificate: " + statusValue(response) + " " + statusText(response));
                Thread.sleep(1000);
            }
            ehealthChain = new ArrayList<>();
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Element c : all(response, CERTRA, "X509Certificate")) {
                ehealthChain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(Base64.getMimeDecoder().decode(text(c)))));
            }
            check(ehealthChain.size() >= 2, ehealthChain.size() + " certificate(s) returned, expected leaf + intermediates");
            check(ehealthChain.get(0).getPublicKey().equals(ehealthPublic), "the issued certificate does not carry our key");
            validatePath(ehealthChain);
        });

        String gotCert = "getCertificate (PKIX path to the platform root)";
        step("startETKRegistration + completeETKRegistration (Santuario, challenge decrypted with javax.crypto)", "completeETKRegistration", "valid",
                List.of(gotCert), () -> {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair etkKey = generator.generateKeyPair();
            Document doc = request(ETKRA, "StartETKRegistrationRequest");
            doc.getDocumentElement().appendChild(textEl(doc, ETKRA, "PublicEncryptionKey", Base64.getEncoder().encodeToString(etkKey.getPublic().getEncoded())));
            Document start = send("/EtkRa/v2", "urn:be:fgov:ehealth:etee:etkra:protocol:v2:startETKRegistration", signEnveloped(doc, ehealthKey, ehealthChain));
            expectSuccess(start, "startETKRegistration");
            byte[] challenge = Base64.getMimeDecoder().decode(text(first(start, ETKRA, "Challenge")));
            check(challenge.length == 288, "challenge of " + challenge.length + " bytes, expected 288");
            Cipher cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            cipher.init(Cipher.DECRYPT_MODE, etkKey.getPrivate());
            byte[] plain = cipher.doFinal(Arrays.copyOfRange(challenge, 0, challenge.length - 32));
            byte[] serial = Arrays.copyOfRange(plain, 0, 16);
            check(Arrays.equals(MessageDigest.getInstance("SHA-256").digest(serial), Arrays.copyOfRange(challenge, challenge.length - 32, challenge.length)),
                    "SHA-256 of the decrypted serial does not match");
            byte[] toBeRegistered = selfIssuedEncryptionCertificate(ehealthChain.get(0), ehealthKey, etkKey.getPublic(), new BigInteger(1, serial));
            Document complete = request(ETKRA, "CompleteETKRegistrationRequest");
            complete.getDocumentElement().appendChild(textEl(complete, ETKRA, "ToBeRegistered", Base64.getEncoder().encodeToString(toBeRegistered)));
            Document response = send("/EtkRa/v2", "urn:be:fgov:ehealth:etee:etkra:protocol:v2:completeETKregistration", signEnveloped(complete, ehealthKey, ehealthChain));
            expectSuccess(response, "completeETKRegistration");
            etk = Base64.getMimeDecoder().decode(text(first(response, ETKRA, "ETK")));
            check("false".equals(text(first(response, ETKRA, "ToBeActivated"))), "ToBeActivated is not false for a first ETK");
            check(indexOf(etk, toBeRegistered) >= 0, "the ETK does not embed the ToBeRegistered certificate");
        });

        String etkDone = "startETKRegistration + completeETKRegistration (Santuario, challenge decrypted with javax.crypto)";
        for (boolean bsp : new boolean[] {true, false}) {
            String label = bsp ? "WSS4J defaults (InclusiveNamespaces)" : "connector style (no InclusiveNamespaces, mustUnderstand=1)";
            step("GetEtk WS-Security WSS4J " + label + ", BST+Timestamp+Body signed; response verified with JSR 105", "GetEtk", "valid", List.of(etkDone), () -> {
                Document response = getEtk(ssin, ehealthKey, ehealthChain.get(0), bsp, 0, false);
                check("200".equals(depotCode(response)), "Status/Code " + depotCode(response));
                check(Arrays.equals(Base64.getMimeDecoder().decode(text(first(response, DEPOT, "ETK"))), etk), "GetEtk returned another ETK");
                verifySignedResponse(response);
            });
        }

        // ---- negative interop -------------------------------------------------------------------------------------
        step("negative RA: tampered body after signing -> INVALID_SIGNATURE", "getActorQualities", "negative", List.of(ids), () -> {
            Document doc = signEnveloped(actorQualities(ssin), eidAuthKey, eidAuthChain);
            first(doc, CERTRA, "SSIN").setTextContent(cfg.getProperty("other.ssin"));
            expectRefusal(send("/CertRa/v2", "urn:be:fgov:ehealth:certra:protocol:v2:getActorQualities", doc), "INVALID_SIGNATURE");
        });
        step("negative RA: IssueInstant one hour old -> REQUEST_EXPIRED", "getActorQualities", "negative", List.of(ids), () -> {
            Document doc = actorQualities(ssin);
            doc.getDocumentElement().setAttribute("IssueInstant", OffsetDateTime.now().minusHours(1).truncatedTo(ChronoUnit.MILLIS).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
            expectRefusal(send("/CertRa/v2", "urn:be:fgov:ehealth:certra:protocol:v2:getActorQualities", signEnveloped(doc, eidAuthKey, eidAuthChain)), "REQUEST_EXPIRED");
        });
        step("negative RA: signature by an untrusted eID CA -> UNTRUSTED_SIGNER", "getActorQualities", "negative", List.of(ids), () -> {
            Document doc = signEnveloped(actorQualities(cfg.getProperty("untrusted.ssin")), untrustedKey, untrustedChain);
            expectRefusal(send("/CertRa/v2", "urn:be:fgov:ehealth:certra:protocol:v2:getActorQualities", doc), "UNTRUSTED_SIGNER");
        });
        step("negative WS-Security GetEtk: tampered Body after signing -> Fault WS_SECURITY_INVALID", "GetEtk", "negative", List.of(gotCert), () ->
                expectFault(getEtk(ssin, ehealthKey, ehealthChain.get(0), false, 0, true), "WS_SECURITY_INVALID"));
        step("negative WS-Security GetEtk: expired Timestamp -> Fault WS_SECURITY_INVALID", "GetEtk", "negative", List.of(gotCert), () ->
                expectFault(getEtk(ssin, ehealthKey, ehealthChain.get(0), false, -1200, false), "WS_SECURITY_INVALID"));
        step("negative WS-Security GetEtk: signature by an untrusted certificate -> Fault WS_SECURITY_INVALID", "GetEtk", "negative", List.of(ids), () ->
                expectFault(getEtk(ssin, untrustedKey, untrustedChain.get(0), false, 0, false), "WS_SECURITY_INVALID"));
    }

    // ---- messages ---------------------------------------------------------------------------------------------------
    Document request(String namespace, String name) throws Exception {
        Document doc = newDocument();
        Element req = doc.createElementNS(namespace, "ns2:" + name);
        req.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:ns2", namespace);
        req.setAttribute("Id", "_" + UUID.randomUUID());
        req.setAttribute("IssueInstant", OffsetDateTime.now().truncatedTo(ChronoUnit.MILLIS).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        req.setIdAttribute("Id", true);
        doc.appendChild(req);
        return doc;
    }

    Document actorQualities(String ssin) throws Exception {
        Document doc = request(CERTRA, "GetActorQualitiesRequest");
        Element id = textEl(doc, CERTRA, "SSIN", ssin);
        id.setAttribute("Type", "SSIN");
        doc.getDocumentElement().appendChild(id);
        return doc;
    }

    static Element el(Document doc, String ns, String name) {
        return doc.createElementNS(ns, name);
    }

    static Element textEl(Document doc, String ns, String name, String value) {
        Element e = doc.createElementNS(ns, name);
        e.setTextContent(value);
        return e;
    }

    static Element contactData(Document doc, String given) { return contactData(doc, given, CERTRA); }

    static Element contactData(Document doc, String given, String ns) {
        Element c = el(doc, ns, "ContactData");
        c.appendChild(textEl(doc, CERTRA_CORE, "EmailPrivate", given.toLowerCase() + "@example.org"));
        c.appendChild(textEl(doc, CERTRA_CORE, "PhonePrivate", "+3220000001"));
        return c;
    }

    static Element actor(Document doc, String ns, String name, String ssin, String given, String surname) {
        Element a = el(doc, ns, name);
        Element id = textEl(doc, CORE2, "Id", ssin);
        id.setAttribute("Type", "SSIN");
        a.appendChild(id);
        a.appendChild(textEl(doc, CORE2, "FirstName", given));
        a.appendChild(textEl(doc, CORE2, "Name", surname));
        return a;
    }

    /** RaUtils.sign / XmlSignatureBuilder: enveloped XML-DSig appended as the last child of the request element. The
     *  request is serialised and parsed first so that every namespace declaration exists as an attribute (as in a
     *  JAXB-marshalled document): Santuario canonicalises the DOM as it is. Returns the signed document. */
    Document signEnveloped(Document unsigned, PrivateKey key, List<X509Certificate> chain) throws Exception {
        Document doc = parse(serialize(unsigned));
        Element request = doc.getDocumentElement();
        String id = request.getAttribute("Id");
        request.setIdAttribute("Id", true);
        XMLSignature signature = new XMLSignature(doc, "", XMLSignature.ALGO_ID_SIGNATURE_RSA_SHA256, Canonicalizer.ALGO_ID_C14N_EXCL_OMIT_COMMENTS);
        signature.setId("xmldsig-" + UUID.randomUUID());
        request.appendChild(signature.getElement());
        Transforms transforms = new Transforms(doc);
        transforms.addTransform(Transforms.TRANSFORM_ENVELOPED_SIGNATURE);
        transforms.addTransform(Transforms.TRANSFORM_C14N_EXCL_OMIT_COMMENTS);
        signature.addDocument("#" + id, transforms, "http://www.w3.org/2001/04/xmlenc#sha256");
        X509Data data = new X509Data(doc);
        for (X509Certificate c : chain) data.addCertificate(c);
        signature.getKeyInfo().add(data);
        signature.sign(key);
        return doc;
    }

    Document getEtk(String ssin, PrivateKey key, X509Certificate cert, boolean bspDefaults, int timestampOffsetSeconds, boolean tamper) throws Exception {
        Document doc = newDocument();
        Element envelope = doc.createElementNS(SOAP, "soapenv:Envelope");
        envelope.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:soapenv", SOAP);
        doc.appendChild(envelope);
        envelope.appendChild(doc.createElementNS(SOAP, "soapenv:Header"));
        Element body = doc.createElementNS(SOAP, "soapenv:Body");
        envelope.appendChild(body);
        Element req = doc.createElementNS(DEPOT, "GetEtkRequest");
        req.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns", DEPOT);
        Element criteria = el(doc, DEPOT, "SearchCriteria");
        Element identifier = el(doc, DEPOT, "Identifier");
        identifier.appendChild(textEl(doc, DEPOT, "Type", "SSIN"));
        identifier.appendChild(textEl(doc, DEPOT, "Value", ssin));
        criteria.appendChild(identifier);
        req.appendChild(criteria);
        body.appendChild(req);
        doc = parse(serialize(doc)); // real namespace declarations before WSS4J canonicalises the DOM

        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry("authentication", key, "pw".toCharArray(), new java.security.cert.Certificate[] {cert});
        Merlin crypto = new Merlin();
        crypto.setKeyStore(keyStore);
        WSSecHeader header = new WSSecHeader();
        header.setMustUnderstand(true);
        header.insertSecurityHeader(doc);
        WSSecTimestamp timestamp = new WSSecTimestamp();
        timestamp.setTimeToLive(60);
        timestamp.build(doc, header);
        if (timestampOffsetSeconds != 0) {
            SimpleDateFormat zulu = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'");
            zulu.setTimeZone(TimeZone.getTimeZone("UTC"));
            long created = System.currentTimeMillis() + timestampOffsetSeconds * 1000L;
            first(timestamp.getElement(), WSU, "Created").setTextContent(zulu.format(new Date(created)));
            first(timestamp.getElement(), WSU, "Expires").setTextContent(zulu.format(new Date(created + 60_000)));
        }
        WSSConfig wssConfig = WSSConfig.getNewInstance();
        wssConfig.setWsiBSPCompliant(bspDefaults);
        WSSecSignature signature = new WSSecSignature(wssConfig);
        signature.setUserInfo("authentication", "pw");
        signature.setKeyIdentifierType(WSConstants.BST_DIRECT_REFERENCE);
        signature.setSignatureAlgorithm("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
        signature.setDigestAlgo("http://www.w3.org/2001/04/xmlenc#sha256");
        signature.setSigCanonicalization(WSConstants.C14N_EXCL_OMIT_COMMENTS);
        signature.prepare(doc, crypto, header);
        signature.prependBSTElementToHeader(header);
        List<WSEncryptionPart> parts = new ArrayList<>();
        parts.add(new WSEncryptionPart("Body", SOAP, ""));
        parts.add(new WSEncryptionPart("Timestamp", WSU, ""));
        parts.add(new WSEncryptionPart(signature.getBSTTokenId()));
        List<Reference> references = signature.addReferencesToSign(parts, header);
        signature.computeSignature(references);
        if (tamper) first(doc, DEPOT, "Value").setTextContent(cfg.getProperty("other.ssin"));
        return post("/EtkDepot/v1", "\"\"", serialize(doc));
    }

    /** Our signed response: BST certificate chains to the root; JDK XMLDSig verifies; Body and Timestamp are covered. */
    void verifySignedResponse(Document response) throws Exception {
        Element security = first(response, WSSE, "Security");
        check(security != null, "the response has no wsse:Security header (SIGN_RESPONSES=true)");
        Element bst = first(security, WSSE, "BinarySecurityToken");
        check(bst != null, "the response Security header has no BinarySecurityToken");
        X509Certificate server = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Base64.getMimeDecoder().decode(text(bst))));
        validatePath(List.of(server, issuing));
        check(!server.equals(ehealthChain.get(0)), "the response is signed with the client certificate");
        NodeList all = response.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (e.hasAttributeNS(WSU, "Id")) e.setIdAttributeNS(WSU, "Id", true);
        }
        Element signatureElement = first(security, DS, "Signature");
        check(signatureElement != null, "no ds:Signature in the response Security header");
        XMLSignatureFactory factory = XMLSignatureFactory.getInstance("DOM", "XMLDSig");
        DOMValidateContext context = new DOMValidateContext(server.getPublicKey(), signatureElement);
        javax.xml.crypto.dsig.XMLSignature signature = factory.unmarshalXMLSignature(context);
        check(signature.validate(context), "JDK XMLDSig: the response signature does not verify with the server certificate");
        Set<String> uris = new HashSet<>();
        for (Object r : signature.getSignedInfo().getReferences()) uris.add(((Reference) r).getURI());
        Element body = first(response, SOAP, "Body");
        Element timestamp = first(security, WSU, "Timestamp");
        check(uris.contains("#" + body.getAttributeNS(WSU, "Id")), "the response signature does not cover the Body");
        check(timestamp != null && uris.contains("#" + timestamp.getAttributeNS(WSU, "Id")), "the response signature does not cover a Timestamp");
        // The check must be able to fail: the same signature over an altered Body must not verify.
        Document altered = parse(serialize(response));
        NodeList allAltered = altered.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < allAltered.getLength(); i++) {
            Element e = (Element) allAltered.item(i);
            if (e.hasAttributeNS(WSU, "Id")) e.setIdAttributeNS(WSU, "Id", true);
        }
        Element etkElement = first(altered, DEPOT, "ETK");
        if (etkElement != null) etkElement.setTextContent(Base64.getEncoder().encodeToString("tampered".getBytes(StandardCharsets.US_ASCII)));
        DOMValidateContext context2 = new DOMValidateContext(server.getPublicKey(), first(altered, DS, "Signature"));
        check(!factory.unmarshalXMLSignature(context2).validate(context2), "client-side check broken: an altered response still verified");
    }

    // ---- transport ----------------------------------------------------------------------------------------------
    Document send(String path, String soapAction, Document requestElementDocument) throws Exception {
        Document doc = newDocument();
        Element envelope = doc.createElementNS(SOAP, "SOAP-ENV:Envelope");
        envelope.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns:SOAP-ENV", SOAP);
        doc.appendChild(envelope);
        envelope.appendChild(doc.createElementNS(SOAP, "SOAP-ENV:Header"));
        Element body = doc.createElementNS(SOAP, "SOAP-ENV:Body");
        envelope.appendChild(body);
        body.appendChild(doc.importNode(requestElementDocument.getDocumentElement(), true));
        return post(path, "\"" + soapAction + "\"", serialize(doc));
    }

    Document post(String path, String soapAction, byte[] bytes) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(cfg.getProperty("baseUrl") + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "text/xml; charset=utf-8")
                .header("SOAPAction", soapAction)
                .header("User-Agent", "eHealthTechnical/4.0.2 (interop suite)")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        lastResponse = response.body();
        lastStatus = response.statusCode();
        record(path, bytes, response.statusCode(), response.body(), response.headers().firstValue("content-type").orElse(""));
        check(response.body().length > 0, "empty HTTP " + response.statusCode() + " response");
        return parse(response.body());
    }

    void record(String path, byte[] request, int status, byte[] response, String contentType) throws IOException {
        sequence++;
        String slug = currentStep.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "");
        if (slug.length() > 60) slug = slug.substring(0, 60);
        String base = String.format("%s-%04d-%s", CLIENT, sequence, slug);
        Files.write(messages.resolve(base + ".request.xml"), request);
        Files.write(messages.resolve(base + ".response.xml"), response);
        index.write("{\"client\":" + json(CLIENT) + ",\"step\":" + json(currentStep) + ",\"address\":" + json(path) + ",\"request\":" + json(base + ".request.xml")
                + ",\"response\":" + json(base + ".response.xml") + ",\"status\":" + status + ",\"contentType\":" + json(contentType)
                + ",\"intent\":" + json(intent) + "}\n");
        index.flush();
    }

    void expectSuccess(Document response, String what) throws StepFailed {
        check(first(response, SOAP, "Fault") == null, what + ": SOAP Fault " + faultSummary(response));
        check(SUCCESS.equals(statusValue(response)), what + ": Status " + statusValue(response) + " " + statusText(response));
    }

    void expectRefusal(Document response, String code) throws StepFailed {
        check(first(response, SOAP, "Fault") == null, "expected a business refusal " + code + ", got SOAP Fault " + faultSummary(response));
        String value = statusValue(response);
        check(value != null, "no Status in the response");
        check(!SUCCESS.equals(value), "the request was ACCEPTED, expected refusal " + code);
        check(statusText(response).contains(code), "refused without code " + code + ": " + statusText(response));
    }

    void expectFault(Document response, String code) throws StepFailed {
        Element fault = first(response, SOAP, "Fault");
        check(fault != null, "the request was accepted; expected a SOAP Fault " + code);
        check(lastStatus == 500, "HTTP " + lastStatus + " for a SOAP Fault");
        Element detail = firstLocal(fault, "detail");
        String got = detail == null ? null : text(firstLocal(detail, "Code"));
        check(code.equals(got), "Fault code " + got + ", expected " + code + ": " + faultSummary(response));
    }

    static String faultSummary(Document response) {
        Element fault = first(response, SOAP, "Fault");
        if (fault == null) return "";
        Element detail = firstLocal(fault, "detail");
        return text(firstLocal(fault, "faultcode")) + " " + (detail == null ? "" : text(firstLocal(detail, "Code"))) + " \"" + text(firstLocal(fault, "faultstring")) + "\"";
    }

    static String statusValue(Document response) {
        Element status = first(response, CORE2, "Status");
        if (status == null) return null;
        for (Node n = status.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && "StatusCode".equals(n.getLocalName())) return ((Element) n).getAttribute("Value");
        }
        return null;
    }

    static String statusText(Document response) {
        Element status = first(response, CORE2, "Status");
        if (status == null) return faultSummary(response);
        StringBuilder b = new StringBuilder();
        NodeList all = status.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (e.hasAttribute("Value")) b.append(e.getAttribute("Value")).append(' ');
        }
        return b.append(status.getTextContent().trim()).toString();
    }

    static String depotCode(Document response) {
        Element status = first(response, "urn:be:fgov:ehealth:commons:1_0:core", "Status");
        return status == null ? "(no Status: " + faultSummary(response) + ")" : text(firstLocal(status, "Code"));
    }

    // ---- PKI --------------------------------------------------------------------------------------------------------
    void validatePath(List<X509Certificate> chain) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        parameters.setRevocationEnabled(false);
        Collection<X509Certificate> intermediates = new ArrayList<>(chain.subList(1, chain.size()));
        parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(intermediates)));
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate c : chain) if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) path.add(c);
        CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(path), parameters);
    }

    /** CertificateUtils.generateCert: X.509 v3, subject = issuer = auth DN, serial = challenge, validity of the auth
     *  certificate, keyUsage (critical) keyEncipherment + dataEncipherment, signed by the authentication key. */
    static byte[] selfIssuedEncryptionCertificate(X509Certificate auth, PrivateKey authKey, PublicKey encryptionKey, BigInteger serial) throws Exception {
        List<byte[]> authTbs = sequenceElements(auth.getTBSCertificate());
        byte[] validity = authTbs.get(4); // [0] version, serial, signature, issuer, validity
        byte[] name = auth.getSubjectX500Principal().getEncoded();
        byte[] sha256WithRsa = der(0x30, der(0x06, new byte[] {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x0b}), der(0x05, new byte[0]));
        byte[] keyUsage = der(0x30, der(0x06, new byte[] {0x55, 0x1d, 0x0f}), der(0x01, new byte[] {(byte) 0xff}), der(0x04, der(0x03, new byte[] {0x04, 0x30})));
        byte[] tbs = der(0x30, der(0xa0, der(0x02, new byte[] {2})), der(0x02, serial.toByteArray()), sha256WithRsa, name, validity, name,
                encryptionKey.getEncoded(), der(0xa3, der(0x30, keyUsage)));
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(authKey);
        signer.update(tbs);
        byte[] signature = signer.sign();
        byte[] bitString = new byte[signature.length + 1];
        System.arraycopy(signature, 0, bitString, 1, signature.length);
        return der(0x30, tbs, sha256WithRsa, der(0x03, bitString));
    }

    static byte[] der(int tag, byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] p : parts) content.writeBytes(p);
        byte[] c = content.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        if (c.length < 0x80) {
            out.write(c.length);
        } else {
            byte[] len = BigInteger.valueOf(c.length).toByteArray();
            int start = len[0] == 0 ? 1 : 0;
            out.write(0x80 | (len.length - start));
            out.write(len, start, len.length - start);
        }
        out.writeBytes(c);
        return out.toByteArray();
    }

    /** The encoded elements of a DER SEQUENCE. */
    static List<byte[]> sequenceElements(byte[] sequence) {
        int[] header = tlvHeader(sequence, 0);
        List<byte[]> out = new ArrayList<>();
        int pos = header[0];
        int end = header[0] + header[1];
        while (pos < end) {
            int[] h = tlvHeader(sequence, pos);
            int total = h[0] - pos + h[1];
            out.add(Arrays.copyOfRange(sequence, pos, pos + total));
            pos += total;
        }
        return out;
    }

    /** {content offset, content length} of the TLV at pos. */
    static int[] tlvHeader(byte[] d, int pos) {
        int p = pos + 1;
        int len = d[p++] & 0xff;
        if (len >= 0x80) {
            int n = len & 0x7f;
            len = 0;
            for (int i = 0; i < n; i++) len = (len << 8) | (d[p++] & 0xff);
        }
        return new int[] {p, len};
    }

    /** SHA-1 of the subjectPublicKey BIT STRING value (RFC 5280 4.2.1.2 method 1). */
    static byte[] subjectKeyIdentifier(PublicKey key) throws Exception {
        List<byte[]> spki = sequenceElements(key.getEncoded());
        byte[] bitString = spki.get(1);
        int[] h = tlvHeader(bitString, 0);
        return MessageDigest.getInstance("SHA-1").digest(Arrays.copyOfRange(bitString, h[0] + 1, h[0] + h[1]));
    }

    static PrivateKey readPrivateKey(Path path) throws Exception {
        String text = Files.readString(path);
        Matcher m = Pattern.compile("-----BEGIN PRIVATE KEY-----(.+?)-----END PRIVATE KEY-----", Pattern.DOTALL).matcher(text);
        if (!m.find()) throw new StepFailed(path + " is not an unencrypted PKCS#8 PEM key");
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (java.security.spec.InvalidKeySpecException ignored) {
                // try the next algorithm
            }
        }
        throw new StepFailed("unsupported key in " + path);
    }

    static List<X509Certificate> readCertificates(Path path) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(path)) {
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) out.add((X509Certificate) c);
        }
        return out;
    }

    static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    void exec(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (process.waitFor() != 0) throw new StepFailed(command[0] + " " + command[1] + " failed: " + new String(output, StandardCharsets.UTF_8));
    }

    /** RFC 4514 string (as the contract gives it) → openssl -subj, RDN order reversed, '=' '/' escaped. */
    static String opensslSubject(String dn) throws StepFailed {
        List<String[]> rdns = new ArrayList<>();
        int i = 0;
        int n = dn.length();
        while (i < n) {
            while (i < n && (dn.charAt(i) == ' ' || dn.charAt(i) == ',')) i++;
            if (i >= n) break;
            int eq = dn.indexOf('=', i);
            String type = dn.substring(i, eq).trim().toUpperCase();
            i = eq + 1;
            StringBuilder value = new StringBuilder();
            boolean quoted = i < n && dn.charAt(i) == '"';
            if (quoted) i++;
            while (i < n) {
                char c = dn.charAt(i);
                if (quoted && c == '"') { i++; break; }
                if (!quoted && c == ',') break;
                if (c == '\\') { i++; c = dn.charAt(i); }
                value.append(c);
                i++;
            }
            while (i < n && dn.charAt(i) != ',') i++;
            rdns.add(new String[] {type, value.toString().trim()});
        }
        Map<String, String> names = Map.of("C", "C", "O", "O", "OU", "OU", "CN", "CN", "L", "L", "ST", "ST", "SERIALNUMBER", "serialNumber");
        StringBuilder subject = new StringBuilder();
        for (int k = rdns.size() - 1; k >= 0; k--) {
            String type = names.get(rdns.get(k)[0]);
            if (type == null) throw new StepFailed("cannot map DN attribute " + rdns.get(k)[0]);
            subject.append('/').append(type).append('=').append(rdns.get(k)[1].replace("\\", "\\\\").replace("/", "\\/").replace("=", "\\="));
        }
        return subject.toString();
    }

    // ---- DOM ----------------------------------------------------------------------------------------------------
    static DocumentBuilder builder() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setExpandEntityReferences(false);
        return factory.newDocumentBuilder();
    }

    static Document newDocument() throws Exception { return builder().newDocument(); }

    static Document parse(byte[] bytes) throws Exception { return builder().parse(new ByteArrayInputStream(bytes)); }

    static byte[] serialize(Document doc) throws Exception {
        Transformer transformer = TransformerFactory.newInstance().newTransformer();
        transformer.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
        transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        transformer.transform(new DOMSource(doc), new StreamResult(out));
        return out.toByteArray();
    }

    static Element first(Node scope, String ns, String local) {
        NodeList list = scope instanceof Document ? ((Document) scope).getElementsByTagNameNS(ns, local) : ((Element) scope).getElementsByTagNameNS(ns, local);
        return list.getLength() == 0 ? null : (Element) list.item(0);
    }

    static Element firstLocal(Element scope, String local) {
        if (scope == null) return null;
        NodeList list = scope.getElementsByTagNameNS("*", local);
        if (list.getLength() > 0) return (Element) list.item(0);
        list = scope.getElementsByTagName(local);
        return list.getLength() == 0 ? null : (Element) list.item(0);
    }

    static List<Element> all(Document doc, String ns, String local) {
        NodeList list = doc.getElementsByTagNameNS(ns, local);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < list.getLength(); i++) out.add((Element) list.item(i));
        return out;
    }

    static String text(Element e) { return e == null ? null : e.getTextContent().trim(); }

    static byte[] hex(String s) throws StepFailed {
        check(s != null && s.matches("[0-9A-Fa-f]{40}"), "PublicKeyIdentifier " + s + " is not 20 bytes of hexBinary");
        byte[] out = new byte[20];
        for (int i = 0; i < 20; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static String toHex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02X", x));
        return s.toString();
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
