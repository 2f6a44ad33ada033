import { describe, expect, it } from 'vitest';
import { layoutStages } from './graph.js';

describe('layoutStages', () => {
  it('puts each stage one column right of the deepest stage it needs, finally last', () => {
    const layout = layoutStages([
      { name: 'build', kind: 'build', needs: [] },
      { name: 'lint', kind: 'stage', needs: [] },
      { name: 'unit', kind: 'stage', needs: ['build'] },
      { name: 'e2e', kind: 'stage', needs: ['build', 'unit'] },
      { name: 'cleanup', kind: 'finally', needs: [] },
    ]);
    expect(layout.columns).toEqual([['build', 'lint'], ['unit'], ['e2e'], ['cleanup']]);
    expect(layout.edges).toEqual([
      { from: 'build', to: 'unit' },
      { from: 'build', to: 'e2e' },
      { from: 'unit', to: 'e2e' },
    ]);
    expect(layout.known).toBe(true);
  });

  it('draws no guessed arrows when the run recorded no needs', () => {
    const layout = layoutStages([
      { name: 'build', kind: 'build', needs: null },
      { name: 'unit', kind: 'stage', needs: null },
      { name: 'lint', kind: 'stage', needs: null },
    ]);
    expect(layout).toEqual({ columns: [['build'], ['unit', 'lint']], edges: [], known: false });
  });

  it('ignores needs outside the run and does not loop on a cycle', () => {
    const layout = layoutStages([
      { name: 'a', kind: 'stage', needs: ['b', 'gone'] },
      { name: 'b', kind: 'stage', needs: ['a'] },
    ]);
    expect(layout.columns.flat().sort()).toEqual(['a', 'b']);
    expect(layout.edges).toEqual([
      { from: 'b', to: 'a' },
      { from: 'a', to: 'b' },
    ]);
  });
});
