// Test support only (not exported from index.ts): a signing certificate of our
// own and SNS messages signed with it, the way SNS signs its own.
import { execFileSync } from 'node:child_process';
import { createSign, type KeyObject, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  snsSignatureAlgorithm,
  snsStringToSign,
  type SnsMessage,
  type SnsSignatureVersion,
} from '../domain/sns-message.js';

export interface SigningCertificate {
  /** The self-signed certificate, PEM, as SNS serves it at SigningCertURL. */
  pem: string;
  privateKey: KeyObject;
}

/**
 * A fresh RSA key and self-signed certificate. Node has no certificate
 * generator, so this runs the openssl command line.
 */
export const selfSignedCertificate = (): SigningCertificate => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sns-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=sns.vigil.test',
      ],
      { stdio: 'ignore' },
    );
    return {
      pem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      privateKey: createPrivateKey(readFileSync(join(dir, 'key.pem'))),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

type Unsigned<T extends SnsMessage> = Omit<T, 'Signature' | 'SignatureVersion'>;

/** The message with `SignatureVersion` and the `Signature` SNS would give it. */
export const signSnsMessage = <T extends SnsMessage>(
  message: Unsigned<T>,
  privateKey: KeyObject,
  version: SnsSignatureVersion = '2',
): T => {
  const withVersion = { ...message, SignatureVersion: version, Signature: '' } as unknown as T;
  const signature = createSign(snsSignatureAlgorithm(version))
    .update(snsStringToSign(withVersion), 'utf8')
    .sign(privateKey, 'base64');
  return { ...withVersion, Signature: signature };
};
