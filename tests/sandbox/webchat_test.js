// The web chat in headless Chromium: create a user, /start the echo bot,
// press its inline button and see the edit, share a contact through a reply
// keyboard, check that bot text is never HTML, pay an invoice, use inline
// mode, block the bot, and take screenshots at phone and desktop widths. Usage: node webchat_test.js SANDBOX_URL TOKEN SHOTS_DIR PROFILE_DIR
'use strict';

const path = require('node:path');
const { launchBrowser, ok, check, passedCount, runTest } = require('../support/browser.js');
const { startEchoBot } = require('./webchat_echo_bot.js');

const [url, token, shotsDir, profileDir] = process.argv.slice(2);
const TIMEOUT = 10000;

// The chat's messages: the bot's on the left, the user's own on the right.
const botBubble = (page, text) => page.locator('.msg:not(.own) .bubble', { hasText: text });
const ownBubble = (page, text) => page.locator('.msg.own .bubble', { hasText: text });

async function send(page, text) {
  const input = page.getByRole('textbox', { name: 'Message' });
  await input.fill(text);
  await input.press('Enter');
  await ownBubble(page, text).last().waitFor();
}

// Screenshots without the transient toasts.
async function screenshot(page, name) {
  await page.waitForFunction(() => !document.querySelector('.toast'));
  await page.screenshot({ path: path.join(shotsDir, name) });
}

async function phone(context, problems) {
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (d) => problems.push(`unexpected browser dialog: ${d.message()}`));
  await page.setViewportSize({ width: 390, height: 844 });
  const response = await page.goto(`${url}/`);
  const headers = response.headers();
  check(headers['content-type'] === 'text/html; charset=utf-8', 'the page is served as HTML');
  check(headers['cache-control'] === 'no-cache', 'the page is not cached');

  await page.getByRole('heading', { name: 'Sandbox chat' }).waitFor();
  await page.getByLabel('First name').fill('Ann <b>&</b>');
  await page.getByLabel('Language').selectOption('en');
  await page.getByRole('button', { name: 'Create and open chat' }).click();
  await page.locator('#bot-name', { hasText: 'Sandbox Bot' }).waitFor();
  ok('a new user opens the chat with the bot');

  await send(page, '/start');
  const greeting = botBubble(page, 'I echo what you write');
  await greeting.waitFor();
  check(
    (await greeting.locator('b').textContent()) === 'Hello, Ann <b>&</b>!',
    "the bot's HTML is rendered, the user's name stays text",
  );
  await greeting.locator('i', { hasText: 'Try the button:' }).waitFor();

  await page.getByRole('button', { name: 'Press me' }).click();
  await page.locator('.toast', { hasText: 'Pressed!' }).waitFor();
  ok('the callback answer shows as a toast');
  const edited = botBubble(page, 'The button was pressed ✓');
  await edited.waitFor();
  await edited.locator('.meta', { hasText: 'edited' }).waitFor();
  check((await page.getByRole('button', { name: 'Press me' }).count()) === 0, 'the edit replaced the message in place');
  check((await botBubble(page, 'I echo what you write').count()) === 0, 'the old text is gone');

  const hostile = '<img src=x onerror=alert(1)> & <script>alert(2)</script>';
  await send(page, hostile);
  await botBubble(page, hostile).waitFor();
  check((await page.locator('.messages img, .messages script').count()) === 0, 'echoed markup is shown as text');

  await send(page, '/contact');
  await botBubble(page, 'May I have your phone number?').waitFor();
  await page.getByRole('button', { name: 'Share my phone (shares your phone number)' }).click();
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await botBubble(page, 'Thanks, your phone is +1555').waitFor();
  await page.locator('#reply-keyboard').waitFor({ state: 'hidden' });
  ok('the reply keyboard shares the contact and goes away');

  await send(page, 'Echo, please');
  await botBubble(page, 'Echo, please').waitFor();
  ok('plain text is echoed');
  await screenshot(page, 'webchat-phone.png');
  await page.close();
}

async function desktop(context, problems) {
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${url}/`);
  await page.getByRole('button', { name: /^Chat as Ann/ }).click();
  await botBubble(page, 'Echo, please').waitFor();
  ok('an existing user is picked and the history loads');
  await send(page, 'Hello from the desktop');
  await botBubble(page, 'Hello from the desktop').waitFor();

  await send(page, '/buy');
  await page.getByRole('button', { name: 'Pay ★ 5 for Coffee' }).click();
  await page.locator('.invoice .status.paid', { hasText: 'Paid ★ 5' }).waitFor();
  await botBubble(page, 'Thanks for the coffee!').waitFor();
  check((await page.getByRole('button', { name: /^Pay / }).count()) === 0, 'a paid invoice has no Pay button');
  ok('an invoice is paid');

  await page.getByRole('button', { name: 'Inline query' }).click();
  await page.getByRole('textbox', { name: 'Message' }).pressSequentially('hi');
  await page.getByRole('option', { name: /Echo: hi/ }).click();
  await ownBubble(page, 'via @sandbox_bot').filter({ hasText: 'Echo: hi' }).waitFor();
  ok('an inline result is chosen and sent');

  await page.getByRole('button', { name: 'Block the bot' }).click();
  await page.getByRole('button', { name: 'Unblock the bot' }).first().waitFor();
  await page.locator('#blocked-bar').getByRole('button', { name: 'Unblock the bot' }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  ok('block and unblock');
  await screenshot(page, 'webchat-desktop.png');
  await page.close();
}

async function main() {
  const bot = startEchoBot(url, token);
  const context = await launchBrowser(profileDir);
  context.setDefaultTimeout(TIMEOUT);
  const problems = [];
  try {
    await phone(context, problems);
    await desktop(context, problems);
  } catch (err) {
    for (const page of context.pages()) {
      await page.screenshot({ path: path.join(shotsDir, `webchat-failure-${passedCount()}.png`) });
    }
    bot.errors.forEach((e) => console.error(`bot: ${e.message}`));
    problems.forEach((p) => console.error(p));
    throw err;
  } finally {
    await context.close();
    await bot.stop();
  }
  problems.push(...bot.errors.map((err) => `bot: ${err.message}`));
  check(problems.length === 0, `no errors in the page or the bot${problems.length ? `: ${problems.join('; ')}` : ''}`);
}

runTest(main);
