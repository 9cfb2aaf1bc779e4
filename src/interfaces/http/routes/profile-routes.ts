import { TRANSFORMER_CATALOG } from '../../../domain/profile/transformer-catalog.js';
import { type ApiRoute, route } from '../api-route.js';

/** What helps write a refresh profile. */
export function profileRoutes(): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/profile/transformers',
      access: 'read',
      tag: 'profiles',
      summary: 'The mask transformers a profile may use: each with its parameters and an example input and output',
      success: { description: 'the transformers' },
      handler: async () => ({
        transformers: TRANSFORMER_CATALOG.map((t) => ({
          name: t.name,
          description: t.description,
          parameters: t.parameters.map((p) => ({ ...p })),
          example: { input: t.example.input, output: t.example.output },
        })),
      }),
    }),
  ];
}
