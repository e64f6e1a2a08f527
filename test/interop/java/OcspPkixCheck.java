import java.io.FileInputStream;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Validates a chain with the JDK's PKIX CertPathValidator and its PKIXRevocationChecker, OCSP first as the eHealth
 * connector's crypto library does, with no fallback to CRLs: the answer can only come from the responder named in the
 * leaf's AIA. Usage: OcspPkixCheck <root.pem> <leaf.pem> [<intermediate.pem>...]. Prints one line: GOOD, or
 * REVOKED <reason>, or FAILED <reason> (exit 0, 2, 1).
 */
public final class OcspPkixCheck {
  public static void main(String[] args) throws Exception {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    X509Certificate root = read(factory, args[0]);
    List<X509Certificate> path = new ArrayList<>();
    for (int i = 1; i < args.length; i++) path.add(read(factory, args[i]));
    CertPath certPath = factory.generateCertPath(path);
    CertPathValidator validator = CertPathValidator.getInstance("PKIX");
    PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
    // The CA certificates of the development hierarchy name no OCSP responder: only the leaf is checked, by OCSP only.
    checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.ONLY_END_ENTITY, PKIXRevocationChecker.Option.NO_FALLBACK));
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    parameters.addCertPathChecker(checker);
    parameters.setRevocationEnabled(false); // the checker above replaces the default one
    try {
      validator.validate(certPath, parameters);
      System.out.println("GOOD");
    } catch (CertPathValidatorException e) {
      if (e.getReason() == CertPathValidatorException.BasicReason.REVOKED) {
        System.out.println("REVOKED " + e.getMessage());
        System.exit(2);
      }
      System.out.println("FAILED " + e.getReason() + " " + e.getMessage());
      System.exit(1);
    }
  }

  private static X509Certificate read(CertificateFactory factory, String file) throws Exception {
    try (FileInputStream in = new FileInputStream(file)) {
      return (X509Certificate) factory.generateCertificate(in);
    }
  }
}
