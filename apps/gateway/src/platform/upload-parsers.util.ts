import multipart from '@fastify/multipart';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Bodies that are not JSON: `text/csv` arrives as a string (contact and listing imports), and
 * `multipart/form-data` is parsed by @fastify/multipart (file uploads: `await request.file()`),
 * one file per request of at most `fileSizeBytes`. Larger bodies answer 413 problem details.
 */
export async function registerUploadParsers(
  app: NestFastifyApplication,
  limits: { csvBytes: number; fileSizeBytes: number },
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: limits.csvBytes }, (_request, body, done) => done(null, body));
  await app.register(multipart as never, { limits: { fileSize: limits.fileSizeBytes, files: 1, fields: 20 } });
}
