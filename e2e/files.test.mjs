// 附件, 图片 and 签名 in the browser: an image uploaded in the record form shows as a thumbnail
// in the form and the grid and opens a preview; a file of a refused type is explained and not
// kept; on a 390×844 phone a signature drawn with a finger is saved as a PNG that the record
// serves back.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { session, login, steps, untilText, waitUntil } from './lib.mjs';

const TABLE = '验收单';
let server, browser, page, api, tableId;
const step = steps('files', () => page);
session([], {}, (s) => ({ server, browser, page, api } = s));

// png returns a w×h PNG of one colour, made by hand (no image library in the e2e packages).
function png(w, h, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const photo = join(tmpdir(), `tierbase-e2e-现场照片-${process.pid}.png`);
const page_ = join(tmpdir(), `tierbase-e2e-page-${process.pid}.png`); // HTML under an image's name

step('a table with 现场照片 (图片) and 客户签名 (签名)', async () => {
  writeFileSync(photo, png(640, 480, [30, 144, 255]));
  writeFileSync(page_, '<!DOCTYPE html><script>alert(1)</script>');
  const res = await api.post('/tables', { name: TABLE, fields: [{ name: '名称', type: 'text' }, { name: '现场照片', type: 'image' }, { name: '客户签名', type: 'signature' }] });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  tableId = res.body.id;
  await login(page, server.url);
  await page.goto(`${server.url}/t/${tableId}`);
  await untilText(page.getByTestId('table-title'), TABLE);
});

step('an image uploaded in the record form: a thumbnail in the form and the grid, and a preview', async () => {
  await page.getByTestId('add-record').click();
  await page.getByTestId('record-form').waitFor();
  await page.getByTestId('form-field-名称').locator('input').first().fill('南山店验收');
  await page.getByTestId('file-pick-现场照片').setInputFiles(page_);
  await untilText(page.getByTestId('files-现场照片').getByTestId('file-error'), '不接受这种文件（text/html），可上传：image/jpeg、image/png、image/gif、image/webp、image/bmp');
  assert.equal(await page.getByTestId('files-现场照片').getByTestId('file-item').count(), 0);
  await page.getByTestId('file-pick-现场照片').setInputFiles(photo);
  await page.getByTestId('files-现场照片').getByTestId('file-thumb').waitFor();
  await page.getByTestId('record-save').click();
  await page.getByTestId('record-form').waitFor({ state: 'hidden' });
  const list = await api.records(TABLE);
  assert.equal(list.total, 1);
  const [file] = list.items[0]['现场照片'];
  assert.equal(file.type, 'image/png');
  assert.match(file.name, /现场照片/);

  const cell = page.getByTestId(`cell-${list.items[0].id}-现场照片`);
  const thumb = cell.locator('img');
  await thumb.waitFor();
  await waitUntil(() => thumb.evaluate((img) => img.complete && img.naturalWidth === 256), { message: 'the grid shows the 256-pixel thumbnail' });
  await cell.getByTestId('file-thumb').click();
  const preview = page.locator('.el-image-viewer__canvas img');
  await preview.waitFor();
  await waitUntil(() => preview.evaluate((img) => img.complete && img.naturalWidth === 640), { message: 'the preview shows the whole image' });
  await page.keyboard.press('Escape');
  await preview.waitFor({ state: 'hidden' });
});

step('on a 390×844 phone a signature drawn with a finger is saved as a PNG', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = await ctx.newPage();
  phone.setDefaultTimeout(15_000);
  try {
    await login(phone, server.url);
    const id = (await api.records(TABLE)).items[0].id;
    await phone.goto(`${server.url}/t/${tableId}?record=${id}`);
    await phone.getByTestId('record-form').waitFor();
    const pad = phone.getByTestId('signature-pad-客户签名');
    await pad.scrollIntoViewIfNeeded();
    const box = await pad.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390 && box.height >= 120, JSON.stringify(box));
    // a stroke as a finger draws it: pointer events of type touch
    const at = (i) => ({ x: box.x + 30 + i * 12, y: box.y + box.height / 2 + Math.sin(i / 2) * 30 });
    await pad.dispatchEvent('pointerdown', { pointerId: 7, pointerType: 'touch', isPrimary: true, clientX: at(0).x, clientY: at(0).y, buttons: 1 });
    for (let i = 1; i < 20; i++) {
      await pad.dispatchEvent('pointermove', { pointerId: 7, pointerType: 'touch', isPrimary: true, clientX: at(i).x, clientY: at(i).y, buttons: 1 });
    }
    await pad.dispatchEvent('pointerup', { pointerId: 7, pointerType: 'touch', isPrimary: true, clientX: at(19).x, clientY: at(19).y });
    await phone.getByTestId('signature-use-客户签名').click();
    await phone.getByTestId('files-客户签名').getByTestId('file-thumb').waitFor();
    const save = phone.getByTestId('record-save');
    const saveBox = await save.boundingBox();
    assert.ok(saveBox && saveBox.y + saveBox.height <= 844, `the save button is reachable: ${JSON.stringify(saveBox)}`);
    await save.click();
    await phone.getByTestId('record-form').waitFor({ state: 'hidden' });

    const rec = (await api.get(`/tables/${tableId}/records/${id}`)).body;
    const [sig] = rec['客户签名'];
    assert.equal(sig.type, 'image/png');
    assert.equal(sig.name, 'signature.png');
    // the PNG holds ink: the signature served back is larger than an empty canvas's
    const served = await phone.evaluate(async (url) => {
      const res = await fetch(url);
      const bmp = await createImageBitmap(await res.blob());
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const g = c.getContext('2d');
      g.drawImage(bmp, 0, 0);
      const data = g.getImageData(0, 0, bmp.width, bmp.height).data;
      let ink = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
      return { status: res.status, type: res.headers.get('content-type'), nosniff: res.headers.get('x-content-type-options'), ink };
    }, sig.url);
    assert.deepEqual({ status: served.status, type: served.type, nosniff: served.nosniff }, { status: 200, type: 'image/png', nosniff: 'nosniff' });
    assert.ok(served.ink > 200, `the signature has ${served.ink} inked pixels`);
  } finally {
    await ctx.close();
  }
});
