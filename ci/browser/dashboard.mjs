// Drives the aveloxis dashboard in Debian's headless Chromium and prints one JSON line:
// what the page showed, whether injected markup ran, and the result of clicking Boost.
//   node dashboard.mjs URL REPO_ID_TO_BOOST SCREENSHOT_PATH
import { chromium } from 'playwright-core';

const [url, boostId, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const dialogs = [];
  page.on('dialog', d => { dialogs.push(d.message()); d.dismiss(); });
  await page.goto(url);
  await page.waitForSelector('body[data-loaded="1"]', { timeout: 20000 });
  await page.waitForSelector('[data-stat="repositories"]', { timeout: 20000 });
  const stats = await page.$$eval('#stats .stat', els => els.map(e => e.textContent));
  const repos = await page.$$eval('#queue tbody tr', rows => rows.map(r => r.children[1].textContent));
  const scripts = await page.$$eval('script', s => s.length);
  const injectedImgs = await page.$$eval('#queue img', s => s.length);
  await page.click(`#queue tbody tr[data-repo-id="${boostId}"] button.boost`);
  await page.waitForFunction(() => [...document.querySelectorAll('button.boost')].some(b => b.textContent !== 'Boost') ||
                                  document.body.dataset.loaded === '1', null, { timeout: 10000 });
  await page.waitForTimeout(500);
  const xss = await page.evaluate(() => window.__xss === 1);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(JSON.stringify({ stats, repos, scripts, injectedImgs, xss, dialogs }));
} finally {
  await browser.close();
}
