import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// optim reads `.grad` through its structural Parameter type: autograd is only a test-time (dev) dependency.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;
const srcDir = new URL('../src/', import.meta.url);

describe('@tapegrad/optim needs no autograd at run time', () => {
  it('@tapegrad/autograd is a devDependency, not a dependency', () => {
    expect(Object.keys(pkg['dependencies'] ?? {})).toEqual(['@tapegrad/tensor']);
    expect(pkg['devDependencies']?.['@tapegrad/autograd']).toBe('workspace:*');
  });

  it('no source file imports @tapegrad/autograd', () => {
    const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(readFileSync(new URL(f, srcDir), 'utf8'), f).not.toMatch(/from '@tapegrad\/autograd'/);
  });
});
