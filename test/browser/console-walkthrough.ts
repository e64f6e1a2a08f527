import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

/**
 * An officer's walk through the console in a real headless Chromium (Debian's, driven by playwright-core): log in with
 * the officer certificate, approve the waiting request, find the certificate, revoke it with confirmation, read the
 * audit entry. A screenshot of every page goes to SCREENSHOT_DIR. Run by console.test.ts in a process of its own,
 * with NODE_EXTRA_CA_CERTS set to the listener's CA chain: the TLS leg to the listener is verified, not ignored.
 *
 * Input (environment): ADMIN_URL, LISTENER_CERT, OFFICER_CERT, OFFICER_KEY, REQUEST_PKI, HOLDER_SSIN, SCREENSHOT_DIR, CHROMIUM.
 * Output: one JSON line with what was done (the revoked serial).
 */

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const adminUrl = env('ADMIN_URL');
const screenshots = env('SCREENSHOT_DIR');
mkdirSync(screenshots, { recursive: true });

let shot = 0;
async function capture(page: Page, name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: join(screenshots, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** Every form control has a visible label (or is a button), and the page has one h1 and a main landmark. */
async function checkAccessible(page: Page): Promise<void> {
  // Runs in the page: the ids of the controls and of the labels' targets, compared here.
  const controls = await page.$$eval('input:not([type=hidden]), select, textarea', (elements) => elements.map((e) => ({ id: e.id, html: e.outerHTML })));
  const labelled = new Set(await page.$$eval('label[for]', (labels) => labels.map((l) => l.getAttribute('for'))));
  const unlabeled = controls.filter((c) => !c.id || !labelled.has(c.id)).map((c) => c.html);
  assert.deepEqual(unlabeled, [], `unlabeled controls on ${page.url()}`);
  assert.equal(await page.locator('h1').count(), 1);
  assert.equal(await page.locator('main#main').count(), 1);
}

// Chromium's own connections (a context without a client certificate) trust the listener by its key alone: its SPKI
// is pinned, nothing else is waved through.
const listenerSpki = new X509Certificate(readFileSync(env('LISTENER_CERT'))).publicKey.export({ type: 'spki', format: 'der' });
const pin = createHash('sha256').update(listenerSpki).digest('base64');
const browser = await chromium.launch({ executablePath: env('CHROMIUM'), args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${pin}`] });
try {
  // Without a client certificate: refused.
  const stranger = await browser.newContext();
  const refused = await (await stranger.newPage()).goto(`${adminUrl}/console`);
  assert.equal(refused?.status(), 403);
  await stranger.close();

  const context = await browser.newContext({
    clientCertificates: [{ origin: new URL(adminUrl).origin, certPath: env('OFFICER_CERT'), keyPath: env('OFFICER_KEY') }],
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();

  // Log in (the certificate is the login): the dashboard.
  const dashboard = await page.goto(`${adminUrl}/console`);
  assert.equal(dashboard?.status(), 200);
  assert.match(await page.locator('header .who').innerText(), /CN=Development officer.*admin/);
  await checkAccessible(page);
  await capture(page, 'dashboard');

  // The queue: the waiting request, with its waiting time and why it is manual.
  await page.getByRole('link', { name: 'Requests', exact: true }).click();
  await page.waitForURL(/\/console\/requests$/);
  const row = page.locator('tbody tr', { hasText: env('HOLDER_SSIN') });
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /foreigner: identity to check/);
  await checkAccessible(page);
  await capture(page, 'requests');

  // Approve it, with the identity evidence, using the keyboard.
  await row.getByRole('link').click();
  await page.waitForURL(new RegExp(`/console/requests/${env('REQUEST_PKI')}$`));
  await checkAccessible(page);
  await capture(page, 'request');
  await page.getByLabel(/Identity evidence/).fill('passport P1234567 seen at the Brussels office');
  await page.getByLabel('Note', { exact: true }).fill('approved in the console');
  await page.getByRole('button', { name: 'Approve' }).press('Enter');
  await page.waitForURL(/done=/);
  assert.match(await page.locator('.flash.ok').innerText(), /Approved: the certificate is issued/);
  assert.match(await page.locator('dl.props').innerText(), /ISSUED/);
  await capture(page, 'request-approved');

  // Find the certificate by the holder's SSIN.
  await page.getByRole('link', { name: 'Certificates', exact: true }).click();
  await page.getByLabel('SSIN', { exact: true }).fill(env('HOLDER_SSIN'));
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/console\/certificates\?/);
  assert.match(await page.locator('main h2').first().innerText(), /^1 certificate\(s\) found$/);
  await checkAccessible(page);
  await capture(page, 'certificates');
  const serial = (await page.locator('tbody tr a.mono').first().innerText()).trim();
  await page.locator('tbody tr a.mono').first().click();
  await page.waitForURL(new RegExp(`/console/certificates/${serial}$`));
  await checkAccessible(page);
  await capture(page, 'certificate');

  // Revoke it: the confirmation box is required.
  await page.getByLabel('Reason', { exact: true }).selectOption('keyCompromise');
  await page.getByLabel(/^Note/).fill('revocation form 2026-42');
  await page.getByRole('button', { name: 'Revoke' }).click();
  assert.equal(page.url().endsWith(`/console/certificates/${serial}`), true, 'the browser must not submit without the confirmation');
  // Without the browser's check (a hand-made post), the server refuses too, and nothing is revoked.
  const unconfirmed = await context.request.post(`${adminUrl}/console/certificates/${serial}/revoke`, {
    headers: { origin: new URL(adminUrl).origin, 'sec-fetch-site': 'same-origin' },
    form: { reason: 'keyCompromise', note: 'no confirmation' },
    maxRedirects: 0,
  });
  assert.equal(unconfirmed.status(), 303);
  assert.match(unconfirmed.headers().location ?? '', /\?error=Tick\+the\+confirmation/);
  await page.getByLabel(/I confirm the revocation/).check();
  await page.getByRole('button', { name: 'Revoke' }).click();
  await page.waitForURL(/done=Revoked/);
  assert.match(await page.locator('dl.props').innerText(), /revoked on .* \(keyCompromise\)/);
  await capture(page, 'certificate-revoked');

  // The audit trail of that certificate names the officer.
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await page.getByLabel(/^Subject/).fill(serial);
  await page.getByRole('button', { name: 'Filter' }).click();
  const entry = page.locator('tbody tr', { hasText: 'admin.certificate.revoked' });
  assert.equal(await entry.count(), 1);
  assert.match(await entry.innerText(), /CN=Development officer.*serial [0-9a-f]+/);
  await checkAccessible(page);
  await capture(page, 'audit');

  // A form posted from another site is refused although the browser sends the officer's certificate (no CSRF); the
  // same post from the console itself is handled (here: refused by the service, the request is no longer waiting).
  const refuse = `${adminUrl}/console/requests/${env('REQUEST_PKI')}/refuse`;
  const crossSite = await context.request.post(refuse, {
    headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    form: { reason: 'forged' },
    maxRedirects: 0,
  });
  assert.equal(crossSite.status(), 403);
  assert.equal(await crossSite.text(), 'form posts are accepted from the console only');
  const sameOrigin = await context.request.post(refuse, {
    headers: { origin: new URL(adminUrl).origin, 'sec-fetch-site': 'same-origin' },
    form: { reason: 'late' },
    maxRedirects: 0,
  });
  assert.equal(sameOrigin.status(), 303);
  assert.match(sameOrigin.headers().location ?? '', /error=INVALID_REQUEST|error=REQUEST/);

  // A hospital's legal representative, registered from the form and then withdrawn.
  await page.goto(`${adminUrl}/console/mandates`);
  await page.getByLabel('Role').selectOption('LEGAL_REPRESENTATIVE');
  await page.getByLabel('Organisation identifier type').fill('NIHII-HOSPITAL');
  await page.getByLabel('Organisation identifier', { exact: true }).fill('71089815');
  await page.getByLabel(/^Organisation name/).fill('Hôpital du Test');
  await page.getByLabel('Holder SSIN').fill('85073003328');
  await page.getByLabel('Evidence reference').fill('statutes, Moniteur belge 2024-01-15');
  await page.getByRole('button', { name: 'Register' }).click();
  await page.waitForURL(/done=Mandate/);
  // The registered name is kept as the DN writes it: upper case, no diacritics.
  const mandate = page.locator('tbody tr', { hasText: 'HOPITAL DU TEST' });
  assert.equal(await mandate.count(), 1);
  await capture(page, 'mandate-registered');
  await mandate.getByLabel('Reason').fill('no longer the legal representative');
  await mandate.getByRole('button', { name: 'Withdraw' }).click();
  await page.waitForURL(/done=Mandate.*withdrawn/);
  assert.equal(await page.locator('tbody tr', { hasText: 'HOPITAL DU TEST' }).count(), 0, 'a withdrawn mandate leaves the active list');

  for (const path of ['/console/mandates?all=true', '/console/test-cases', '/console/actions']) {
    assert.equal((await page.goto(`${adminUrl}${path}`))?.status(), 200);
    await checkAccessible(page);
    await capture(page, path.split('/').at(-1)!.replace(/\?.*/, ''));
  }
  await context.close();
  process.stdout.write(`${JSON.stringify({ serial, screenshots: shot })}\n`);
} finally {
  await browser.close();
}
