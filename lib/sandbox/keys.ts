// The sandbox platform's keys: its own RSA pair (given or generated) and the client's public key
// it verifies with (given, or a generated pair whose private half goes into the secret).
import { createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import type { SandboxOptions } from './types.js';
import { loadPrivateKeyMaterial, loadPublicKeyMaterial } from './wire.js';

export interface Keys {
  readonly platformPrivateKey: KeyObject;
  readonly platformPublicPem: string;
  readonly clientPublicKey: KeyObject;
  readonly clientPrivatePem?: string;
}

function generateRsa(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) =>
      error ? reject(error) : resolve({ publicKey, privateKey }),
    );
  });
}

export async function resolveKeys(options: SandboxOptions): Promise<Keys> {
  const platform = options.platformPrivateKeyPem
    ? { privateKey: loadPrivateKeyMaterial(options.platformPrivateKeyPem) }
    : await generateRsa();
  const platformPublicPem = platformPublicKeyPem(platform.privateKey);
  if (options.clientPublicKeyPem) {
    return { platformPrivateKey: platform.privateKey, platformPublicPem, clientPublicKey: loadPublicKeyMaterial(options.clientPublicKeyPem) };
  }
  const client = await generateRsa();
  return {
    platformPrivateKey: platform.privateKey,
    platformPublicPem,
    clientPublicKey: client.publicKey,
    clientPrivatePem: client.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function platformPublicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}
