import { z } from 'zod';
import { redactSecrets } from '../../../domain/redaction.js';
import { disableMirror, mirrorStatus, prepareMirror, prepareResync } from '../../../app/mirror-service.js';
import { keepSpare, requestSpare } from '../../../app/mirror-spare.js';
import type { Runtime } from '../../../app/runtime.js';
import { type ApiRoute, route } from '../api-route.js';
import { nameParams } from '../params.js';

/**
 * A sandbox's mirror (DESIGN §8). Enabling and resyncing answer at once (202) with the mirror
 * seeding; the seed runs in this process, and GET shows when it is streaming (or why it failed).
 */
export function mirrorRoutes(runtime: Runtime): ApiRoute[] {
  const inBackground = (name: string, seed: () => Promise<unknown>) =>
    void seed().catch((error: Error) => process.stderr.write(`dataalm: the mirror of ${name} could not be set up: ${redactSecrets(error.message)}\n`));
  return [
    route({
      method: 'GET',
      url: '/api/environments/:name/mirror',
      access: 'read',
      tag: 'environments',
      summary: "The sandbox's mirror: its health and lag, whether the next refresh clones it (and why not), its tables",
      params: nameParams,
      success: { description: 'the mirror status' },
      handler: async ({ params }) => mirrorStatus(runtime, params.name),
    }),
    route({
      method: 'POST',
      url: '/api/environments/:name/mirror',
      access: 'manage-environments',
      tag: 'environments',
      summary: "Enable a mirror of `source` on the sandbox's server: checked, then seeded in the background (audited)",
      params: nameParams,
      body: z
        .object({
          source: z.string().min(1).max(63),
          maxLagBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
          /** Keep a spare beside the mirror: refreshes take it by a rename (a second database, a second slot). */
          spare: z.boolean().optional(),
        })
        .strict(),
      success: { description: 'the mirror, seeding' },
      async handler({ params, body, actor, reply }) {
        const { seed } = await prepareMirror(runtime, params.name, body, actor);
        inBackground(params.name, seed);
        return reply.status(202).send(await mirrorStatus(runtime, params.name));
      },
    }),
    route({
      method: 'POST',
      url: '/api/environments/:name/mirror/resync',
      access: 'manage-environments',
      tag: 'environments',
      summary: 'Take the mirror down and seed it again from a new snapshot, in the background (audited)',
      params: nameParams,
      success: { description: 'the mirror, seeding' },
      async handler({ params, actor, reply }) {
        const { seed } = await prepareResync(runtime, params.name, actor);
        inBackground(params.name, seed);
        return reply.status(202).send(await mirrorStatus(runtime, params.name));
      },
    }),
    route({
      method: 'POST',
      url: '/api/environments/:name/mirror/spare',
      access: 'manage-environments',
      tag: 'environments',
      summary: "Keep a spare beside the mirror (made by a worker; a refresh takes it by a rename), or keep none (`keep: false` takes it down) (audited)",
      params: nameParams,
      body: z.object({ keep: z.boolean() }).strict(),
      success: { description: 'the mirror, its spare being made or gone' },
      async handler({ params, body, actor, reply }) {
        const mirror = await keepSpare(runtime, params.name, body.keep, actor);
        if (body.keep) await requestSpare(runtime, mirror);
        return reply.status(202).send(await mirrorStatus(runtime, params.name));
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/environments/:name/mirror',
      access: 'manage-environments',
      tag: 'environments',
      summary: 'Remove the mirror: subscription and database, and on the source its replication slot and publication (audited)',
      params: nameParams,
      success: { description: 'what was removed' },
      handler: async ({ params, actor }) => disableMirror(runtime, params.name, actor),
    }),
  ];
}
