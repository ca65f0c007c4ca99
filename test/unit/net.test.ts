import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInternalHost } from '../../src/core/net.ts';

test('internal hosts are recognised; public ones are not', () => {
  for (const h of ['localhost', 'api.localhost', '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '[::1]', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', 'metadata.google.internal']) {
    assert.equal(isInternalHost(h), true, h);
  }
  for (const h of ['docs.aws.amazon.com', '172.32.0.1', '8.8.8.8', '2606:4700::1', '11.0.0.1']) {
    assert.equal(isInternalHost(h), false, h);
  }
});
