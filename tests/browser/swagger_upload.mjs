// Drives the /docs page of a running `conveyor serve` in headless Chromium,
// as a person would: the page must render the operations from
// /openapi.json, and "Try it out" on POST /predict with a file chosen in the
// form's file picker must show a 200 answer with a predicted class.
//
//   node swagger_upload.mjs URL IMAGE SCREENSHOT
//
// Exits 0 on success; on failure prints why, saves the screenshot anyway
// (SCREENSHOT with "-failed" before the extension) and exits 1. Every wait
// is bounded, and the whole run is cut at 60 s.
import { createRequire } from 'node:module';

const [url, image, screenshot] = process.argv.slice(2);
if (!url || !image || !screenshot) {
  console.error('usage: node swagger_upload.mjs URL IMAGE SCREENSHOT');
  process.exit(2);
}
// playwright-core is pinned in web/package.json, not installed here.
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const deadline = setTimeout(() => {
  console.error('swagger_upload: gave up after 60 s');
  process.exit(1);
}, 60_000);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // Root in a container: Chromium's sandbox needs user namespaces we lack.
  args: ['--no-sandbox'],
  timeout: 20_000,
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
page.setDefaultTimeout(15_000);
const problems = [];
page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

try {
  await page.goto(`${url}/docs`, { waitUntil: 'load' });
  // Swagger UI names each operation's block operations-<tag>-<operationId>.
  const predict = page.locator('#operations-model-predict');
  await predict.waitFor();
  for (const id of ['operations-model-getExperimentMetas', 'operations-kserve-v2-v2ModelInfer']) {
    await page.locator(`#${id}`).waitFor();
  }
  await predict.locator('.opblock-summary-control').click();
  await predict.getByRole('button', { name: 'Try it out' }).click();
  // The form is the first request content type, so it is preselected; pick
  // it explicitly all the same, in case the order ever changes.
  const type = predict.locator('.opblock-section-request-body select');
  if (await type.count()) await type.first().selectOption('multipart/form-data');
  await predict.locator('input[type=file]').setInputFiles(image);
  await predict.getByRole('button', { name: 'Execute' }).click();

  const live = predict.locator('.live-responses-table');
  const status = live.locator('tbody .response-col_status').first();
  await status.waitFor();
  const body = live.locator('tbody .response-col_description pre').first();
  await body.waitFor();
  const code = (await status.innerText()).trim();
  const text = await body.innerText();
  // The top of the operation's block: the form with the chosen file, and
  // the answer (the documented responses below it are long).
  const box = await predict.boundingBox();
  const clip = { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, 1100) };
  await page.screenshot({ path: screenshot, fullPage: true, clip });
  console.log(`status ${code}\n${text}`);
  if (code !== '200') problems.push(`expected status 200, the page shows ${code}`);
  if (!/"class"\s*:\s*\d+/.test(text)) problems.push('the response shown has no "class"');
  if (!/"label"\s*:/.test(text)) problems.push('the response shown has no "label"');
} catch (error) {
  problems.push(String(error));
}
if (problems.length) {
  await page
    .screenshot({ path: screenshot.replace(/(\.png)?$/, '-failed.png'), fullPage: true })
    .catch(() => {});
}
await browser.close();
clearTimeout(deadline);
for (const problem of problems) console.error(`swagger_upload: ${problem}`);
process.exit(problems.length ? 1 : 0);
