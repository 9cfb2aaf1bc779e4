import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { ENDPOINTS } from '../src/contract/index.ts';
import { type Caller, call, signIn } from './helpers/http-client.ts';
import { OWNER_PASSWORD, type Service, startService } from './helpers/service.ts';

/**
 * The API's answers are the contract's (src/contract). call() checks every answer of every
 * HTTP test against it (a missing or an extra field fails); here each readable endpoint is
 * asked once, so each JSON answer is checked at least once, and the OpenAPI document is
 * compared with the contract.
 */
describe('HTTP API contract', () => {
  let service: Service;
  let owner: Caller;

  before(async () => {
    service = await startService('http-api-contract');
    owner = await signIn(service.baseUrl, 'admin', OWNER_PASSWORD);
  });

  after(async () => {
    await service?.stop();
  });

  test('every readable endpoint answers as the contract says, as the project owner', async () => {
    const environment = 'contoso-uat';
    const paths = [
      '/api/assets',
      '/api/assets/shared',
      '/api/session',
      '/api/users',
      '/api/tokens',
      '/api/audit?limit=20',
      '/api/environments',
      `/api/environments/${environment}`,
      '/api/environments/contoso-test/credentials',
      `/api/environments/${environment}/breadcrumbs`,
      `/api/environments/${environment}/refresh-sources`,
      `/api/environments/${environment}/refresh-preview?source=contoso-prod`,
      `/api/environments/${environment}/refresh-preview?source=fabrikam-uat`,
      `/api/environments/${environment}/packages`,
      '/api/operations',
      '/api/profile/transformers',
    ];
    for (const urlPath of paths) {
      const answer = await call(service.baseUrl, owner, 'GET', urlPath);
      assert.equal(answer.status, 200, `${urlPath}: ${answer.text}`);
    }
    const imported = await call(service.baseUrl, owner, 'POST', '/api/assets', { shared: 'environment-reprovisioning-tool' });
    assert.equal(imported.status, 201, imported.text);
    const id = imported.json<{ id: number }>().id;
    assert.equal((await call(service.baseUrl, owner, 'GET', `/api/assets/${id}`)).status, 200);
    assert.equal((await call(service.baseUrl, owner, 'GET', `/api/environments/${environment}/packages`)).status, 200);
    const current = (await call(service.baseUrl, owner, 'GET', `/api/environments/${environment}`)).json<{ autoReprovision: boolean }>();
    const patched = await call(service.baseUrl, owner, 'PATCH', `/api/environments/${environment}`, { autoReprovision: current.autoReprovision });
    assert.equal(patched.status, 200, patched.text);
    // Failures are errors or refusals of the contract too.
    assert.equal((await call(service.baseUrl, owner, 'GET', '/api/environments/no-such-env')).status, 404);
    assert.equal((await call(service.baseUrl, owner, 'POST', '/api/refreshes', { source: 'fabrikam-uat', target: environment, acknowledge: true })).status, 409);
  });

  test('the OpenAPI document describes each answer with the contract schema', async () => {
    const openapi = (await call(service.baseUrl, { label: 'anonymous' }, 'GET', '/api/openapi.json')).json<{
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
    }>();
    for (const [key, answer] of Object.entries(ENDPOINTS) as [string, { status: number; schema?: z.ZodType }][]) {
      const [method, url] = key.split(' ') as [string, string];
      const documented = openapi.paths[url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[method.toLowerCase()]?.responses[String(answer.status)];
      assert.ok(documented, `${key}: the OpenAPI document has no ${answer.status} answer`);
      if (!answer.schema) continue;
      const { $schema: _ignored, ...expected } = z.toJSONSchema(answer.schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
      assert.deepEqual(documented.content?.['application/json']?.schema, expected, `${key}: the document's schema is the contract's`);
    }
  });
});
