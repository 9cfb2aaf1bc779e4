import { z } from 'zod';
import type { Environment } from '../../../domain/environment.js';
import { Redactor } from '../../../domain/redaction.js';
import { DataalmError } from '../../../domain/errors/dataalm-error.js';
import { newEnvironmentSchema } from '../../../domain/environment-input.js';
import { type EnvironmentRequest, addEnvironment, changeEnvironment, environmentCredentials, environmentVersions } from '../../../app/environment-service.js';
import { installersIn } from '../../../app/assets/asset-service.js';
import { accessPolicyOf, setAccessPolicy } from '../../../app/access-policy-service.js';
import { preflightRefresh, previewRefresh } from '../../../app/refresh/refresh-service.js';
import type { Runtime } from '../../../app/runtime.js';
import { breadcrumbJson } from '../../../contract/index.js';
import { type ApiRoute, route } from '../api-route.js';
import { nameParams } from '../params.js';
import { removeMirrorsOf } from '../../../app/mirror-service.js';

/**
 * An environment as the API shows it: a password written into its synchronize command
 * (a connection URL, say) is hidden, as it is in the runbook log.
 */
function shown<T extends Environment>(environment: T): T {
  const command = environment.syncCommand;
  return command === null ? environment : { ...environment, syncCommand: new Redactor([]).redact(command) };
}

export function environmentRoutes(runtime: Runtime): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/environments',
      access: 'read',
      tag: 'environments',
      summary: 'Every environment (never a password)',
      success: { description: 'environments' },
      handler: async () => (await runtime.environments.list()).map(shown),
    }),
    route({
      method: 'POST',
      url: '/api/environments',
      access: 'manage-environments',
      tag: 'environments',
      summary: 'Register an environment; its databases must answer',
      body: newEnvironmentSchema,
      success: { description: 'the new environment' },
      async handler({ request, actor, reply }) {
        // The domain's parser checks every field again and names the CLI flag as well.
        return reply.status(201).send(shown(await addEnvironment(runtime, request.body as EnvironmentRequest, actor)));
      },
    }),
    route({
      method: 'GET',
      url: '/api/environments/:name',
      access: 'read',
      tag: 'environments',
      summary: 'One environment with its history and detailed version information',
      params: nameParams,
      success: { description: 'the environment' },
      async handler({ params }) {
        const environment = await runtime.environments.get(params.name);
        const [history, versions] = await Promise.all([runtime.environments.history(environment.name), environmentVersions(runtime, environment)]);
        return { ...shown(environment), history, versions, installers: installersIn(environment) };
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/environments/:name',
      access: 'manage-environments',
      tag: 'environments',
      summary:
        "Change an environment: its tenant, administrator, document storage, synchronize command (null removes it) or database connections (a URL given replaces one; checked as a new environment's, and never shown again), or whether a retail refresh runs the reprovisioning tool itself",
      params: nameParams,
      body: z
        .object({
          syncCommand: z.string().trim().min(1, 'must not be empty (null removes it)').nullable().optional(),
          autoReprovision: z.boolean().optional(),
          tenant: z.string().optional(),
          administrator: z.string().optional(),
          documentStorage: z.string().trim().min(1, 'must not be empty (null removes it)').nullable().optional(),
          databaseUrls: z.object({ application: z.string().optional(), financialReporting: z.string().optional() }).strict().optional(),
        })
        .strict()
        .refine((b) => Object.values(b).some((value) => value !== undefined), { message: 'nothing to change: give syncCommand, autoReprovision, tenant, administrator, documentStorage or databaseUrls' }),
      success: { description: 'the environment' },
      async handler({ params, body, actor }) {
        const { autoReprovision, tenant, administrator, documentStorage, databaseUrls } = body;
        // The command as this API shows it (its passwords hidden), sent back unchanged, is no change:
        // a form that sends every field must not write the hidden form over the real command.
        const current = shown(await runtime.environments.get(params.name)).syncCommand;
        const syncCommand = body.syncCommand !== undefined && body.syncCommand === current ? undefined : body.syncCommand;
        if (tenant !== undefined || administrator !== undefined || documentStorage !== undefined || databaseUrls !== undefined) {
          // Checked whole as a new environment is; the synchronize command goes with it.
          const change = { tenant, administrator, documentStorage, databaseUrls, syncCommand };
          await changeEnvironment(runtime, params.name, change, actor);
        } else if (syncCommand !== undefined) await runtime.environments.setSyncCommand(params.name, syncCommand, actor);
        if (autoReprovision !== undefined) await runtime.environments.setAutoReprovision(params.name, autoReprovision, actor);
        return shown(await runtime.environments.get(params.name));
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/environments/:name',
      access: 'manage-environments',
      tag: 'environments',
      summary: 'Forget an environment; its databases are not touched',
      params: nameParams,
      success: { description: 'removed from the registry' },
      async handler({ params, actor, reply }) {
        await removeMirrorsOf(runtime, params.name, actor);
        await runtime.environments.remove(params.name, actor);
        return reply.status(204).send();
      },
    }),
    route({
      method: 'GET',
      url: '/api/environments/:name/credentials',
      access: 'reveal-credentials',
      tag: 'environments',
      summary: 'Connection URLs of a non-production environment, with passwords (audited; production never)',
      params: nameParams,
      success: { description: 'URL per database role' },
      handler: async ({ params, actor }) => environmentCredentials(runtime, params.name, actor),
    }),
    route({
      method: 'GET',
      url: '/api/environments/:name/access-policy',
      access: 'read',
      tag: 'environments',
      summary: 'The users (and groups) a refresh re-enables once its verification passed, and what the profile lets a policy name',
      params: nameParams,
      success: { description: 'the access policy (empty lists: none)' },
      handler: async ({ params }) => accessPolicyOf(runtime, params.name),
    }),
    route({
      method: 'PUT',
      url: '/api/environments/:name/access-policy',
      access: 'manage-environments',
      tag: 'environments',
      summary: "Replace a sandbox's access policy (empty lists remove it; audited with the old and new lists)",
      params: nameParams,
      body: z
        .object({
          users: z.array(z.string().max(255)).max(1000),
          groups: z.array(z.string().max(255)).max(1000).default([]),
        })
        .strict(),
      success: { description: 'the access policy as stored' },
      handler: async ({ params, body, actor }) => setAccessPolicy(runtime, params.name, body, actor),
    }),
    route({
      method: 'GET',
      url: '/api/environments/:name/breadcrumbs',
      access: 'read',
      tag: 'environments',
      summary: 'Previous databases kept by refreshes and restores, for a restore within their retention',
      params: nameParams,
      success: { description: 'breadcrumbs, newest first' },
      async handler({ params }) {
        await runtime.environments.get(params.name);
        const crumbs = await runtime.operations.breadcrumbs({ environment: params.name });
        return crumbs.map(breadcrumbJson);
      },
    }),
    route({
      method: 'GET',
      url: '/api/environments/:name/refresh-sources',
      access: 'read',
      tag: 'environments',
      summary: 'Every other environment as a source for refreshing this one: eligible, or the reasons it is not',
      params: nameParams,
      success: { description: 'candidate sources' },
      async handler({ params }) {
        const target = await runtime.environments.get(params.name);
        const others = (await runtime.environments.list()).filter((e) => e.name !== target.name);
        const checked = await Promise.all(others.map((source) => preflightRefresh(runtime, source.name, target.name)));
        return others.map((source, i) => ({ name: source.name, type: source.type, eligible: checked[i]!.reasons.length === 0, reasons: checked[i]!.reasons }));
      },
    }),
    route({
      method: 'GET',
      url: '/api/environments/:name/refresh-preview',
      access: 'read',
      tag: 'environments',
      summary: 'What a refresh from the source would do: warnings, elements not copied, the new Admin, and any reasons it is refused',
      params: nameParams,
      query: z.object({ source: z.string().min(1) }),
      success: { description: 'the preview (refused: true with reasons when a rule forbids it)' },
      async handler({ params, query }) {
        const preview = await previewRefresh(runtime, query.source, params.name);
        if (!preview.target) throw new DataalmError('NOT_FOUND', `environment "${params.name}" does not exist`, { field: 'name' });
        return preview;
      },
    }),
  ];
}
