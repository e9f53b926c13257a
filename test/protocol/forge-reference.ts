// node-forge's independent implementations of the protocol's primitives, for cross-checks in tests
// and the forge comparison in the codec bench. Never used on request paths.
import forge from 'node-forge';

const bin = (bytes: Buffer): string => bytes.toString('binary');
const buf = (binary: string): Buffer => Buffer.from(binary, 'binary');

export function forgeRsaSha1Sign(data: string, privatePem: string): string {
  const key = forge.pki.privateKeyFromPem(privatePem);
  const md = forge.md.sha1.create();
  md.update(data, 'utf8');
  return forge.util.encode64(key.sign(md));
}

export function forgeRsaSha1Verify(data: string, signatureBase64: string, publicPem: string): boolean {
  const key = forge.pki.publicKeyFromPem(publicPem);
  const md = forge.md.sha1.create();
  md.update(data, 'utf8');
  try {
    return key.verify(md.digest().bytes(), forge.util.decode64(signatureBase64));
  } catch {
    return false;
  }
}

/** 3DES-CBC, zero IV, PKCS#5 padding. */
export function forgeTripleDesCbc(encrypt: boolean, data: Buffer, key24: Buffer): Buffer {
  const cipher = encrypt
    ? forge.cipher.createCipher('3DES-CBC', forge.util.createBuffer(bin(key24)))
    : forge.cipher.createDecipher('3DES-CBC', forge.util.createBuffer(bin(key24)));
  cipher.start({ iv: forge.util.createBuffer(bin(Buffer.alloc(8))) });
  cipher.update(forge.util.createBuffer(bin(data)));
  if (!cipher.finish()) throw new Error('forge 3DES finish failed');
  return buf(cipher.output.getBytes());
}

/** Single DES-ECB without padding. */
export function forgeDesEcb(encrypt: boolean, data: Buffer, key8: Buffer): Buffer {
  const cipher = encrypt
    ? forge.cipher.createCipher('DES-ECB', forge.util.createBuffer(bin(key8)))
    : forge.cipher.createDecipher('DES-ECB', forge.util.createBuffer(bin(key8)));
  cipher.start();
  cipher.update(forge.util.createBuffer(bin(data)));
  // forge's typings omit finish(pad); a pad function returning true means "no padding".
  const finish = cipher as unknown as { finish(pad: () => boolean): boolean };
  if (!finish.finish(() => true)) throw new Error('forge DES finish failed');
  return buf(cipher.output.getBytes());
}

/** Keys parsed once, for repeated use (bench). */
export interface ForgeKeys {
  readonly privateKey: forge.pki.rsa.PrivateKey;
  readonly publicKey: forge.pki.rsa.PublicKey;
}

export function forgeKeys(privatePem: string, publicPem: string): ForgeKeys {
  return {
    privateKey: forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey,
    publicKey: forge.pki.publicKeyFromPem(publicPem) as forge.pki.rsa.PublicKey,
  };
}

export function forgeSignWith(key: forge.pki.rsa.PrivateKey, data: string): string {
  const md = forge.md.sha1.create();
  md.update(data, 'utf8');
  return forge.util.encode64(key.sign(md));
}

export function forgeVerifyWith(key: forge.pki.rsa.PublicKey, data: string, signatureBase64: string): boolean {
  const md = forge.md.sha1.create();
  md.update(data, 'utf8');
  return key.verify(md.digest().bytes(), forge.util.decode64(signatureBase64));
}
