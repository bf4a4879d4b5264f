// The admin panel in headless Chromium, against a real `tgshop run` with its
// sandbox: sign in with the first password, build a category tree, create a
// product with a photo (a PNG made here) and find it by search, let a sandbox
// customer order it through the bot and pay, move the order on (the customer is
// told in the chat), filter the orders and download them as CSV and XLSX (and
// read the files), write a mailing and send it to five customers while the
// page follows its progress live, pause and resume it, read its report; the
// list pages at desktop and phone widths.
// Usage: node browser_test.js PANEL_URL SANDBOX_URL PASSWORD SHOTS_DIR WORK_DIR
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');
const { launchBrowser, ok, check, passedCount, runTest } = require('../support/browser.js');

const [panel, sandbox, password, shotsDir, workDir] = process.argv.slice(2);
// generous: the server may run under ASan on a loaded 2-core machine
const TIMEOUT = 30000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const PARENT = 'Garden Test';
const CHILD = 'Shovels Test';
const PRODUCT = 'Steel Shovel Test';
const CUSTOMER_ID = 700001;
const MAILING = 'Spring sale on shovels';

// polls fn until it returns a truthy value or TIMEOUT passes
async function until(what, fn) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// A 96×64 RGB PNG with a gradient, written from scratch (zlib from node).
function makePng() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const width = 96;
  const height = 64;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) rows.set([40 + x * 2, 120 + y, 200 - x], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// RFC 4180 CSV into rows of fields.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length) row.push(field), rows.push(row);
  return rows;
}

// The first sheet of an XLSX (unzip -p) as rows of cell texts (numbers as written).
function readXlsx(file) {
  const part = (name) => {
    try {
      return execFileSync('unzip', ['-p', file, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return '';
    }
  };
  const unescape = (s) =>
    s.replace(/&(lt|gt|amp|quot|apos|#(\d+));/g, (_, e, n) =>
      n ? String.fromCodePoint(Number(n)) : { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e],
    );
  const texts = (xml) => [...xml.matchAll(/<t(?: [^>]*)?>([^<]*)<\/t>/g)].map((m) => unescape(m[1])).join('');
  const shared = [...part('xl/sharedStrings.xml').matchAll(/<si>(.*?)<\/si>/gs)].map((m) => texts(m[1]));
  const sheet = part('xl/worksheets/sheet1.xml');
  if (!sheet) throw new Error(`${file} has no xl/worksheets/sheet1.xml`);
  return [...sheet.matchAll(/<row[^>]*>(.*?)<\/row>/gs)].map((r) =>
    [...r[1].matchAll(/<c ([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)].map((c) => {
      const type = (c[1].match(/t="([^"]*)"/) || [])[1];
      const body = c[2] || '';
      if (type === 's') return shared[Number((body.match(/<v>([^<]*)<\/v>/) || [])[1])];
      if (type === 'inlineStr') return texts(body);
      return unescape((body.match(/<v>([^<]*)<\/v>/) || [, ''])[1]);
    }),
  );
}

// The sandbox's user API: the customer's side of Telegram.
async function userApi(method, route, body) {
  const res = await fetch(`${sandbox}/sandbox/api/${route}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json();
  if (!data.ok) throw new Error(`${method} ${route}: ${data.description}`);
  return data.result;
}

const messageText = (m) => m.text || m.caption || '';
const buttonTexts = (m) =>
  ((m.reply_markup && m.reply_markup.inline_keyboard) || []).flat().map((b) => b.text);

async function chatMessages(user = CUSTOMER_ID) {
  return (await userApi('GET', `chats/${user}`)).messages;
}

// waits until a message of the bot's or one of its buttons includes text; returns the message
async function botSays(text, user = CUSTOMER_ID) {
  const says = (m) => [messageText(m), ...buttonTexts(m)].some((t) => t.includes(text));
  return until(`the bot to say "${text}" to ${user}`, async () =>
    (await chatMessages(user)).reverse().find((m) => m.from && m.from.is_bot && says(m)),
  );
}

// presses the newest inline button whose text includes label, then waits for reply
async function press(label, reply) {
  const messages = (await chatMessages()).reverse();
  for (const m of messages) {
    for (const row of (m.reply_markup && m.reply_markup.inline_keyboard) || []) {
      const button = row.find((b) => b.text.includes(label) && b.callback_data);
      if (button) {
        await userApi('POST', `users/${CUSTOMER_ID}/callback`, {
          message_id: m.message_id,
          callback_data: button.callback_data,
        });
        return botSays(reply);
      }
    }
  }
  throw new Error(`no button "${label}" in the chat`);
}

async function say(text, reply, user = CUSTOMER_ID) {
  await userApi('POST', `users/${user}/messages`, { text });
  return botSays(reply, user);
}

// The mailing's other recipients: customers who started the bot, whose messages the sandbox
// then delivers slowly (so the progress moves while the page watches) or refuses.
const READERS = [
  { id: 700002, fault: { delay_ms: 2000 } },
  { id: 700003, fault: { delay_ms: 9000 } },
  { id: 700004, fault: { status: 400, description: 'Bad Request: chat not found' } },
  { id: 700005, fault: { status: 403, description: 'Forbidden: bot was blocked by the user' } },
];

async function readersJoin() {
  for (const r of READERS) {
    await userApi('POST', 'users', { id: r.id, first_name: `Reader ${r.id}`, language_code: 'en' });
    await say('/start', 'Main menu', r.id);
  }
  await userApi('POST', 'faults', {
    rules: READERS.map((r) => ({ method: 'sendMessage', chat_id: r.id, ...r.fault })),
  });
  ok(`${READERS.length} more customers start the bot; the sandbox will deliver to them slowly or refuse`);
}

// The customer buys one PRODUCT through the bot and pays; returns the order number.
async function customerOrders() {
  await userApi('POST', 'users', { id: CUSTOMER_ID, first_name: 'Olga', last_name: 'Test', language_code: 'en' });
  await say('/start', 'Main menu');
  await press('Catalogue', PARENT);
  await press(PARENT, CHILD);
  await press(CHILD, PRODUCT);
  await press(PRODUCT, 'In stock');
  await press('Add to cart', 'In your cart: 1');
  await press('Cart', 'Total');
  await press('Check out', 'What is your name?');
  await say('Olga Test', 'phone number');
  await say('+44 20 7946 0958', 'address');
  await say('London, Baker Street 221b', 'Please check your order');
  const placed = await press('Confirm', 'is placed');
  const number = Number(messageText(placed).match(/#(\d+)/)[1]);
  const invoice = await until('the invoice', async () => (await chatMessages()).find((m) => m.invoice));
  await userApi('POST', `users/${CUSTOMER_ID}/pay`, { message_id: invoice.message_id });
  await botSays(`Order #${number} is paid`);
  ok(`a sandbox customer orders "${PRODUCT}" through the bot and pays (order #${number})`);
  return number;
}

class Panel {
  constructor(context, problems) {
    this.context = context;
    this.problems = problems;
  }

  async open() {
    this.page = await this.context.newPage();
    const page = this.page;
    page.on('pageerror', (err) => this.problems.push(`page error: ${err.message}`));
    page.on('console', (m) => m.type() === 'error' && this.problems.push(`console: ${m.text()}`));
    page.on('response', (r) => r.status() >= 500 && this.problems.push(`${r.status()} for ${r.url()}`));
    page.on('dialog', (d) => d.accept());
    await page.setViewportSize(DESKTOP);
  }

  async go(route, title) {
    await this.page.goto(`${panel}${route}`);
    if (title) await this.heading(title);
  }

  heading(title) {
    return this.page.getByRole('heading', { level: 1, name: title }).waitFor();
  }

  flash(text) {
    return this.page.locator('.flash', { hasText: text }).waitFor();
  }

  async shot(name) {
    await this.page.screenshot({ path: path.join(shotsDir, `admin-${name}.png`), fullPage: true });
  }

  // the page fits the viewport's width (wide tables scroll inside their frame)
  async fitsWidth(what) {
    const { page } = this;
    const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(scroll <= width, `${what} fits ${width} px (page is ${scroll} px wide)`);
  }

  async signIn() {
    const { page } = this;
    await this.go('/');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(password);
    await this.shot('01-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await this.heading('Dashboard');
    await page.locator('.account .me', { hasText: 'admin' }).waitFor();
    ok('the first admin signs in with the password tgshop run printed');
    await this.shot('02-dashboard');
  }

  async addCategory(name, parent) {
    const { page } = this;
    await this.go('/categories/new');
    await page.getByLabel('Name').fill(name);
    const inside = page.getByLabel('Inside');
    if (parent) {
      const value = await inside.locator('option', { hasText: parent }).getAttribute('value');
      await inside.selectOption(value);
    }
    await page.getByLabel('Active (customers see it)').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await this.flash('The category is created.');
  }

  async categories() {
    const { page } = this;
    await this.addCategory(PARENT, null);
    await this.addCategory(CHILD, PARENT);
    const names = await page.locator('table.tree tbody tr td:first-child a').allTextContents();
    const at = names.indexOf(PARENT);
    check(at >= 0 && names[at + 1] === CHILD, `the category tree lists "${CHILD}" right under "${PARENT}"`);
    const indent = async (name) =>
      page.locator('table.tree tbody tr', { hasText: name }).locator('.indent').textContent();
    check((await indent(CHILD)).length > (await indent(PARENT)).length, 'the child is indented below its parent');
    await this.shot('03-categories');
  }

  async product() {
    const { page } = this;
    await this.go('/products/new');
    await page.getByLabel('Name').fill(PRODUCT);
    const category = page.getByLabel('Category');
    const value = await category.locator('option', { hasText: CHILD }).getAttribute('value');
    await category.selectOption(value);
    await page.getByLabel(/^Price/).fill('45');
    await page.getByLabel('Stock').fill('7');
    await page.getByLabel('Description').fill('Forged steel, ash handle.');
    await page.getByLabel(/^Photo/).setInputFiles({ name: 'shovel.png', mimeType: 'image/png', buffer: makePng() });
    await page.getByLabel('On sale').check();
    await this.shot('04-product-form');
    await page.getByRole('button', { name: 'Save' }).click();
    await this.flash('The product is created.');
    ok('a product with an uploaded PNG is created in the child category');

    await page.getByLabel('Search').fill('shovel');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/[?&]q=shovel/);
    const row = page.locator('table.list tbody tr', { hasText: PRODUCT });
    await row.waitFor();
    check((await page.locator('table.list tbody tr', { hasText: 'Сенча' }).count()) === 0, 'the search leaves other products out');
    check((await row.locator('td', { hasText: CHILD }).count()) === 1, 'the found product shows its category');
    const thumb = row.locator('img.thumb');
    await until('the thumbnail to load', () => thumb.evaluate((img) => img.complete && img.naturalWidth > 0));
    ok(`"${PRODUCT}" is found by searching "shovel", with its photo's thumbnail`);
    await this.shot('05-product-search');

    await row.getByRole('link', { name: PRODUCT }).click();
    const photo = page.locator('img.photo');
    await until('the photo to load', () => photo.evaluate((img) => img.complete && img.naturalWidth > 0));
    ok('the product page shows the uploaded photo');
  }

  async orderStatus(number) {
    const { page } = this;
    await this.go('/orders', 'Orders');
    const row = page.locator('table.list tbody tr', { hasText: `#${number}` });
    await row.locator('.badge', { hasText: 'paid' }).waitFor();
    ok(`order #${number} is in the list as paid`);
    await row.getByRole('link', { name: `#${number}` }).click();
    const badge = page.locator('h2 .badge');
    await badge.filter({ hasText: 'paid' }).waitFor();
    await page.locator('table.list', { hasText: PRODUCT }).waitFor();
    await page.getByText('Olga Test · +442079460958').waitFor();
    await this.shot('06-order-paid');
    await page.getByLabel('New status').selectOption('shipped');
    await page.getByRole('button', { name: 'Change' }).click();
    await badge.filter({ hasText: 'shipped' }).waitFor();
    check((await badge.textContent()) === 'shipped', 'the status badge changes from paid to shipped');
    await this.flash('The customer is notified in Telegram.');
    await botSays(`Order #${number}: the status is now shipped.`);
    ok('the customer is told the new status in the chat, in English, through the job queue');
    await page.locator('.plain li', { hasText: 'shipped' }).first().waitFor();
    ok('the timeline shows the move');
    await this.shot('07-order-shipped');
  }

  async download(name) {
    const { page } = this;
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('.toolbar').getByRole('link', { name, exact: true }).click(),
    ]);
    const file = path.join(workDir, `download-${download.suggestedFilename()}`);
    await download.saveAs(file);
    return { file, suggested: download.suggestedFilename() };
  }

  async exportOrders(number) {
    const { page } = this;
    await this.go('/orders', 'Orders');
    await page.getByLabel('Status').selectOption('shipped');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/[?&]status=shipped/);
    const rows = page.locator('table.list tbody tr');
    await rows.first().locator('.badge', { hasText: 'shipped' }).waitFor();
    check((await rows.count()) === 1, 'filtering by "shipped" leaves the one shipped order');
    await page.locator('.toolbar', { hasText: '1 order(s)' }).waitFor();
    await this.shot('08-orders-filtered');

    const csv = await this.download('CSV');
    check(csv.suggested === 'orders.csv', 'the CSV button downloads orders.csv');
    let text = fs.readFileSync(csv.file, 'utf8');
    check(text.startsWith('\ufeff'), 'the CSV starts with a BOM for spreadsheets');
    text = text.slice(1);
    const table = parseCsv(text).filter((r) => r.length > 1 || r[0] !== '');
    const header = table[0];
    check(table.length === 2, `the CSV has a header and one order (rows: ${table.length})`);
    const cell = (row, name) => row[header.indexOf(name)];
    const order = table[1];
    check(cell(order, 'Order') === String(number), 'the CSV row is the order');
    check(cell(order, 'Status') === 'shipped', 'the CSV has the new status');
    check(cell(order, 'Total') === '45' && cell(order, 'Currency') === 'XTR', 'the CSV has the total 45 XTR');
    check(cell(order, 'Items').includes(`${PRODUCT} × 1`), 'the CSV lists the item');
    check(cell(order, 'Contact name') === 'Olga Test', 'the CSV has the contact name');
    check(cell(order, 'Phone') === "'+442079460958", 'the CSV phone is guarded against formulas');
    check(cell(order, 'Telegram id') === String(CUSTOMER_ID), 'the CSV has the Telegram id');

    const xlsx = await this.download('XLSX');
    check(xlsx.suggested === 'orders.xlsx', 'the XLSX button downloads orders.xlsx');
    const sheet = readXlsx(xlsx.file);
    check(sheet.length === 2, `the sheet has a header and one order (rows: ${sheet.length})`);
    check(JSON.stringify(sheet[0]) === JSON.stringify(header), 'the sheet has the CSV columns');
    const x = (name) => sheet[1][header.indexOf(name)];
    check(x('Order') === String(number), 'the sheet row is the order (a number cell)');
    check(x('Status') === 'shipped' && x('Total') === '45', 'the sheet has the status and the total');
    check(x('Items').includes(`${PRODUCT} × 1`) && x('Phone') === '+442079460958', 'the sheet has the item and the phone as text');
  }

  async mailing() {
    const { page } = this;
    await this.go('/mailings/new');
    await page.getByLabel(/^Text/).fill(`<b>${MAILING}</b>: 10% off <i>this week</i>.`);
    await page.getByLabel('Button text (optional)').fill('Open the shop');
    await page.getByLabel('Button link').fill('https://example.com/shop');
    await page.getByLabel('Every customer').check();
    await page.getByRole('button', { name: 'Save the draft' }).click();
    await this.flash('The draft is saved.');
    const badge = page.locator('h2 .badge');
    await badge.filter({ hasText: 'draft' }).waitFor();
    const bold = page.locator('.preview .fmt-b', { hasText: MAILING });
    await bold.waitFor();
    const weight = await bold.evaluate((el) => Number(getComputedStyle(el).fontWeight));
    check(weight >= 600, `the preview shows "${MAILING}" in bold (font-weight ${weight})`);
    check((await page.locator('.preview').textContent()).includes('<b>') === false, 'the preview shows the formatting, not the tags');
    ok('a mailing draft is saved and previewed');
    await this.shot('09-mailing-draft');
    await page.getByRole('button', { name: 'Send now' }).click();
    await until('the mailing to leave the draft state', async () => /scheduled|sending|done/.test(await badge.textContent()));
    ok(`"Send now" moves the mailing on (${await badge.textContent()})`);
    check((await page.getByRole('button', { name: 'Send now' }).count()) === 0, 'a sent mailing has no "Send now" button');
    await this.shot('10-mailing-sent');

    // the page follows the sending by itself (static/mailing.js): the state, then the counters
    // in place, without a reload (a mark left on the document survives)
    const count = async (name) => Number(await page.locator(`.live [data-count="${name}"]`).textContent());
    await until('the page to show the mailing sending', async () => (await badge.textContent()) === 'sending');
    let marked = -1;
    await until('the counters to move without a reload', async () => {
      const sent = await count('sent');
      if (!(await page.evaluate(() => window.sameDocument === true))) {
        await page.evaluate(() => (window.sameDocument = true));
        marked = sent;
        return false;
      }
      return sent > marked && (await badge.textContent()) === 'sending';
    });
    const width = await page.locator('.live [data-bar="sent"]').getAttribute('width');
    ok(`the progress moves live: ${await count('sent')} sent, ${await count('pending')} pending, the bar ${width}/1000`);
    await this.shot('11-mailing-live');

    await page.getByRole('button', { name: 'Pause' }).click();
    await this.flash('The mailing is paused');
    await badge.filter({ hasText: 'paused' }).waitFor();
    check((await page.getByRole('button', { name: 'Resume' }).count()) === 1, 'a paused mailing offers "Resume"');
    ok('"Pause" pauses the mailing');
    await this.shot('12-mailing-paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await this.flash('The mailing goes on.');
    await until('the mailing to finish', async () => (await badge.textContent()) === 'done');
    const total = await count('total');
    check(total === READERS.length + 1, `every customer was a recipient (${total})`);
    check((await count('sent')) === 3 && (await count('failed')) === 1 && (await count('blocked')) === 1,
      'the counters add up: 3 sent, 1 failed, 1 blocked');
    await page.getByRole('heading', { name: 'Report' }).waitFor();
    await page.locator('table.list td', { hasText: 'chat not found' }).waitFor();
    ok('after "Resume" the mailing finishes and its report lists why deliveries failed');
    await botSays(MAILING, 700002);
    await this.shot('13-mailing-report');
    await userApi('POST', 'faults', { rules: [] });
  }

  async listPages() {
    const { page } = this;
    const lists = [
      ['/orders', 'Orders'],
      ['/products', 'Products'],
      ['/categories', 'Categories'],
      ['/customers', 'Customers'],
      ['/mailings', 'Mailings'],
    ];
    for (const [size, label] of [
      [DESKTOP, 'desktop'],
      [PHONE, 'phone'],
    ]) {
      await page.setViewportSize(size);
      for (const [route, title] of lists) {
        await this.go(route, title);
        await page.locator('table.list tbody tr').first().waitFor();
        await this.fitsWidth(`${title} (${label})`);
        await this.shot(`list-${label}-${route.slice(1)}`);
      }
    }
    await page.setViewportSize(DESKTOP);
  }
}

async function main() {
  const context = await launchBrowser(path.join(workDir, 'profile'), { acceptDownloads: true });
  context.setDefaultTimeout(TIMEOUT);
  const problems = [];
  const admin = new Panel(context, problems);
  try {
    await admin.open();
    await admin.signIn();
    await admin.categories();
    await admin.product();
    const number = await customerOrders();
    await admin.orderStatus(number);
    await admin.exportOrders(number);
    await readersJoin();
    await admin.mailing();
    await admin.listPages();
  } catch (err) {
    for (const page of context.pages()) {
      await page.screenshot({ path: path.join(shotsDir, `admin-failure-${passedCount()}.png`), fullPage: true });
    }
    problems.forEach((p) => console.error(p));
    throw err;
  } finally {
    await context.close();
  }
  check(problems.length === 0, `no page errors or server errors${problems.length ? `: ${problems.join('; ')}` : ''}`);
}

runTest(main);
