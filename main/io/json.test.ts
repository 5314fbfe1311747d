import { describe, expect, it } from 'vitest';
import { jsonFault } from './json';

const fault = (text: string): string => {
  try {
    JSON.parse(text);
  } catch (err) {
    return jsonFault(err);
  }
  return 'parsed';
};

describe('jsonFault', () => {
  it('says where and what without quoting the text', () => {
    expect(fault('root:x:0:0:root:/root:/bin/bash\nSECRET')).toBe('unexpected character (is it a JSON file at all?)');
    expect(fault('{"a": 1,, }')).toMatch(/^error at (character|line)/);
    expect(fault('')).toMatch(/ends early/);
    for (const t of ['root:x:0:0 SECRET', '{"SECRET": SECRET}', '[1, SECRET]']) expect(fault(t)).not.toMatch(/SECRET|root/);
  });
});
