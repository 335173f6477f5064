// Webhooks in the console, with a real receiver on 127.0.0.1: an admin adds an endpoint, copies its secret (shown
// once), a user is moved, the delivery shows as delivered and the receiver verifies its signature; the admin resends
// it, sends a test event and rotates the secret.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, openConsole, screenshot, signIn } from './support.js';

describe('webhooks in the console', () => {
  let h: ConsoleHarness;
  let receiver: Server;
  let port = 0;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (request.url === '/failing') response.writeHead(500).end('The CRM database is down');
        else response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((ready) => receiver.listen(0, '127.0.0.1', ready));
    port = (receiver.address() as AddressInfo).port;
    h = await openConsole({ webhooksAllowPrivate: true });
    await h.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  });
  afterAll(async () => {
    await h?.close();
    receiver?.closeAllConnections();
    await new Promise<void>((done) => (receiver ? receiver.close(() => done()) : done()));
  });

  const waitFor = async (count: number) => {
    for (let i = 0; i < 100 && received.length < count; i++) await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBeGreaterThanOrEqual(count);
  };

  it('adds an endpoint, shows its secret once, and lists a signed delivery the admin can resend', async () => {
    const { page, server } = h;
    await signIn(page, server);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No endpoints yet.').waitFor();

    // The form names what is missing.
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText('URL is required').waitFor();
    await page.getByText('Choose at least one event type').waitFor();

    const url = `http://127.0.0.1:${port}/roster`;
    await page.getByLabel('URL').fill(url);
    await page.getByLabel('Description').fill('Smartflows portal');
    await page.getByLabel('User moved to another team').check();
    await page.getByLabel('User created').check();
    await screenshot(page, 'webhooks-new-endpoint');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const secretBox = page.getByTestId('webhook-secret');
    await secretBox.waitFor();
    const secret = (await secretBox.textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await screenshot(page, 'webhooks-created', true);

    // A user is created and moved: both events reach the receiver, signed, numbered in the user's sequence.
    const team = (await (await server.api('/groups', { method: 'POST', body: { name: 'Support' } })).json()).id;
    const user = await (
      await server.api('/users', { method: 'POST', body: { username: 'moved.agent', firstName: 'Moe' } })
    ).json();
    expect((await server.api(`/users/${user.id}/move`, { method: 'POST', body: { toGroupId: team } })).status).toBe(
      200,
    );
    await waitFor(2);
    const messages = received.map(
      (hit) =>
        new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>) as {
          type: string;
          data: { userId: number; sequence: number };
        },
    );
    expect(messages.sort((a, b) => a.data.sequence - b.data.sequence)).toMatchObject([
      { type: 'user.created', data: { userId: user.id, sequence: 1 } },
      { type: 'user.moved', data: { userId: user.id, sequence: 3 } },
    ]);
    const first = received.find((hit) => JSON.parse(hit.body).type === 'user.moved') as {
      headers: IncomingHttpHeaders;
      body: string;
    };

    const deliveries = page.getByRole('region', { name: 'Deliveries' });
    await deliveries.getByText('user.moved').waitFor();
    await deliveries.getByText('user.created').waitFor();
    await expect.poll(() => deliveries.getByText('Delivered').count()).toBe(2);
    await expect.poll(() => deliveries.getByRole('cell', { name: '200' }).count()).toBe(2);

    // Once dismissed, the secret is nowhere on the page again.
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await page.reload();
    await page.getByRole('button', { name: `Deliveries ${url}` }).click();
    await deliveries.getByText('Delivered').first().waitFor();
    expect(await page.content()).not.toContain(secret.slice(6));
    await screenshot(page, 'webhooks-delivered', true);

    // Resend: the receiver gets it again, with the same webhook-id.
    await deliveries.getByRole('button', { name: `Resend ${first.headers['webhook-id']}` }).click();
    await waitFor(3);
    expect(received[2]?.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(received[2]?.body).toBe(first.body);
    await deliveries.getByText('Delivered').first().waitFor();

    // A test event.
    await page.getByRole('button', { name: `Send test ${url}` }).click();
    await deliveries.getByText('webhook.test').waitFor();
    await waitFor(4);
    expect(JSON.parse(received[3]?.body ?? '{}').type).toBe('webhook.test');
  });

  it('rotates the secret and turns the endpoint off', async () => {
    const { page } = h;
    const url = `http://127.0.0.1:${port}/roster`;
    await page.getByRole('button', { name: `Rotate secret ${url}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    await page.getByText('New signing secret').waitFor();
    const rotated = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(rotated).toMatch(/^whsec_/);
    await page.getByText('Previous one until').waitFor();
    await screenshot(page, 'webhooks-rotated', true);

    await page.getByRole('button', { name: `Turn off ${url}` }).click();
    await page.getByRole('button', { name: `Turn on ${url}` }).waitFor();
    await page.getByRole('table').first().getByText('Off', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Delete ${url}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No endpoints yet.').waitFor();
  });

  it('shows a failed attempt with its answer and the time of the next try', async () => {
    const { page, server } = h;
    const url = `http://127.0.0.1:${port}/failing`;
    const created = await server.api('/webhooks', {
      method: 'POST',
      body: { url, description: 'CRM', eventTypes: ['user.moved'] },
    });
    expect(created.status).toBe(201);
    await page.reload();
    await page.getByRole('button', { name: `Send test ${url}` }).click();
    const deliveries = page.getByRole('region', { name: 'Deliveries' });
    await deliveries.getByText('Waiting').waitFor();
    await deliveries.getByText('HTTP 500: The CRM database is down').waitFor();
    await deliveries.getByText('Next try').waitFor();
    await screenshot(page, 'webhooks-failing', true);
  });
});
