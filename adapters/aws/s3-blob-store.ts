import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { BlobStore, StoredObject } from '#shared/ports/index.ts';

export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer, contentType: string): Promise<{ etag: string }> {
    const res = await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    return { etag: stripQuotes(res.ETag ?? '') };
  }

  async get(key: string): Promise<StoredObject> {
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!res.Body) throw new Error(`S3 object s3://${this.bucket}/${key} has no body`);
    return { body: res.Body as Readable, etag: stripQuotes(res.ETag ?? '') };
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (err instanceof NotFound || (err as { name?: string }).name === 'NotFound') return false;
      throw err;
    }
  }
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
