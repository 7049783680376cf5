// The network map: a quick force layout (springs along channels, repulsion between nodes, a pull to
// the centre), computed once per graph change, drawn on a 2D canvas. A route found by the route
// finder is drawn over it.
export interface MapNode {
  id: string;
  alias: string;
  color: string;
}
export interface MapEdge {
  a: string;
  b: string;
}

export class GraphMap {
  private ids: string[] = [];
  private index = new Map<string, number>();
  private xs = new Float64Array(0);
  private ys = new Float64Array(0);
  private edges: [number, number][] = [];
  private route: string[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** Lays out the graph (keeping positions of nodes seen before) and draws it. */
  set(nodes: MapNode[], edges: MapEdge[]): void {
    const oldX = this.xs;
    const oldY = this.ys;
    const oldIndex = this.index;
    this.ids = nodes.map((n) => n.id);
    this.index = new Map(this.ids.map((id, i) => [id, i]));
    const n = nodes.length;
    this.xs = new Float64Array(n);
    this.ys = new Float64Array(n);
    // Start on a circle (or where the node was).
    for (let i = 0; i < n; i++) {
      const o = oldIndex.get(this.ids[i]!);
      if (o !== undefined) {
        this.xs[i] = oldX[o]!;
        this.ys[i] = oldY[o]!;
      } else {
        const t = (2 * Math.PI * i) / Math.max(1, n);
        this.xs[i] = Math.cos(t) * 0.9;
        this.ys[i] = Math.sin(t) * 0.9;
      }
    }
    const seen = new Set<string>();
    this.edges = [];
    for (const e of edges) {
      const a = this.index.get(e.a);
      const b = this.index.get(e.b);
      if (a === undefined || b === undefined) continue;
      const k = a < b ? `${a}:${b}` : `${b}:${a}`;
      if (seen.has(k)) continue;
      seen.add(k);
      this.edges.push([a, b]);
    }
    this.layout(oldIndex.size > 0 ? 60 : 150);
    this.draw();
  }

  showRoute(ids: string[]): void {
    this.route = ids;
    this.draw();
  }

  private layout(iterations: number): void {
    const n = this.ids.length;
    if (n === 0) return;
    const xs = this.xs;
    const ys = this.ys;
    const k = 1.6 / Math.sqrt(n); // ideal edge length in the [-1, 1] square
    const dx = new Float64Array(n);
    const dy = new Float64Array(n);
    for (let it = 0; it < iterations; it++) {
      const temp = 0.08 * (1 - it / iterations) + 0.002;
      dx.fill(0);
      dy.fill(0);
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const ex = xs[i]! - xs[j]!;
          const ey = ys[i]! - ys[j]!;
          const d2 = ex * ex + ey * ey + 1e-6;
          const f = (k * k) / d2;
          dx[i]! += ex * f;
          dy[i]! += ey * f;
          dx[j]! -= ex * f;
          dy[j]! -= ey * f;
        }
      }
      for (const [a, b] of this.edges) {
        const ex = xs[a]! - xs[b]!;
        const ey = ys[a]! - ys[b]!;
        const d = Math.sqrt(ex * ex + ey * ey) + 1e-9;
        const f = d / k;
        dx[a]! -= ex * f;
        dy[a]! -= ey * f;
        dx[b]! += ex * f;
        dy[b]! += ey * f;
      }
      for (let i = 0; i < n; i++) {
        dx[i]! -= xs[i]! * 1.5;
        dy[i]! -= ys[i]! * 1.5;
        const len = Math.sqrt(dx[i]! * dx[i]! + dy[i]! * dy[i]!) + 1e-9;
        const step = Math.min(len, temp);
        xs[i] = Math.max(-1, Math.min(1, xs[i]! + (dx[i]! / len) * step));
        ys[i] = Math.max(-1, Math.min(1, ys[i]! + (dy[i]! / len) * step));
      }
    }
  }

  private draw(): void {
    const c = this.canvas;
    const g = c.getContext('2d');
    if (!g) return;
    const w = c.width;
    const h = c.height;
    g.fillStyle = '#0f1020';
    g.fillRect(0, 0, w, h);
    const px = (i: number) => w / 2 + this.xs[i]! * (w / 2 - 14);
    const py = (i: number) => h / 2 + this.ys[i]! * (h / 2 - 14);
    g.strokeStyle = 'rgba(150, 160, 255, 0.25)';
    g.lineWidth = 1;
    g.beginPath();
    for (const [a, b] of this.edges) {
      g.moveTo(px(a), py(a));
      g.lineTo(px(b), py(b));
    }
    g.stroke();
    for (let i = 0; i < this.ids.length; i++) {
      g.fillStyle = '#ffd24a';
      g.beginPath();
      g.arc(px(i), py(i), 2.5, 0, 2 * Math.PI);
      g.fill();
    }
    const r = this.route.map((id) => this.index.get(id)).filter((i): i is number => i !== undefined);
    if (r.length > 1) {
      g.strokeStyle = '#ff4d7a';
      g.lineWidth = 3;
      g.beginPath();
      g.moveTo(px(r[0]!), py(r[0]!));
      for (const i of r.slice(1)) g.lineTo(px(i), py(i));
      g.stroke();
      for (const i of r) {
        g.fillStyle = '#ff4d7a';
        g.beginPath();
        g.arc(px(i), py(i), 5, 0, 2 * Math.PI);
        g.fill();
      }
    }
  }
}
