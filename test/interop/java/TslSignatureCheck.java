import java.io.File;
import java.io.FileInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.xml.security.Init;
import org.apache.xml.security.signature.XMLSignature;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Verifies a published trusted list as the eHealth connector's TSL updater does, with Apache Santuario: the XAdES
 * enveloped signature must verify with the pinned signer certificate (no chain building), that certificate must carry
 * the EKU id-tsl-kp-tslSigning (0.4.0.2231.3.0), and the signature's KeyInfo must hold that same certificate.
 * Usage: TslSignatureCheck <list.xml> <pinned-signer.pem>. Prints VALID (exit 0) or INVALID <why> (exit 1).
 */
public final class TslSignatureCheck {
  private static final String DS = "http://www.w3.org/2000/09/xmldsig#";
  private static final String XADES = "http://uri.etsi.org/01903/v1.3.2#";

  public static void main(String[] args) throws Exception {
    Init.init();
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document document = factory.newDocumentBuilder().parse(new File(args[0]));
    X509Certificate pinned;
    try (FileInputStream in = new FileInputStream(args[1])) {
      pinned = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    if (pinned.getExtendedKeyUsage() == null || !pinned.getExtendedKeyUsage().contains("0.4.0.2231.3.0")) fail("the signer lacks id-tsl-kp-tslSigning");
    NodeList signedProperties = document.getElementsByTagNameNS(XADES, "SignedProperties");
    for (int i = 0; i < signedProperties.getLength(); i++) ((Element) signedProperties.item(i)).setIdAttributeNS(null, "Id", true);
    Element root = document.getDocumentElement();
    Element signatureElement = null;
    for (org.w3c.dom.Node child = root.getLastChild(); child != null; child = child.getPreviousSibling()) {
      if (child instanceof Element && DS.equals(child.getNamespaceURI()) && "Signature".equals(child.getLocalName())) {
        signatureElement = (Element) child;
        break;
      }
    }
    if (signatureElement == null) fail("no enveloped ds:Signature in the root element");
    XMLSignature signature = new XMLSignature(signatureElement, new File(args[0]).toURI().toString());
    if (signature.getSignedInfo().getLength() < 2) fail("the SignedProperties are not signed");
    X509Certificate carried = signature.getKeyInfo().getX509Certificate();
    if (carried == null || !Base64.getEncoder().encodeToString(carried.getEncoded()).equals(Base64.getEncoder().encodeToString(pinned.getEncoded()))) {
      fail("KeyInfo does not carry the pinned signer certificate");
    }
    if (!signature.checkSignatureValue(pinned.getPublicKey())) fail("signature value or a reference digest does not verify");
    System.out.println("VALID");
  }

  private static void fail(String why) {
    System.out.println("INVALID " + why);
    System.exit(1);
  }
}
