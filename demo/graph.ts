// The network map: a quick force layout (springs along channels, repulsion between nodes, a pull to
// the centre), computed once per graph change, drawn on a 2D canvas. A route found by the route
// finder (or a payment's route) is drawn over it; the node under the pointer is ringed and labelled
// with its alias, as are the route's ends. Our own nodes (the tab, the demo's Node nodes: private
// channels, so not in the gossip) are drawn larger, in their own colour, always labelled, and pinned
// in a row along the map's bottom edge (the layout moves only the gossip's nodes).
export interface MapNode {
  id: string;
  alias: string;
  color: string;
  /** One of ours: drawn larger in OWN_COLOR and labelled. */
  own?: boolean;
}
/** Our nodes' colour (the gossip's nodes are #ffd24a). */
export const OWN_COLOR = '#4ad4ff';
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
  private nodes: MapNode[] = [];
  private degree = new Uint32Array(0);
  private pinned = new Uint8Array(0);
  private hovered: string | undefined;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.draw();
  }

  /** Lays out the graph (keeping positions of nodes seen before) and draws it. */
  set(nodes: MapNode[], edges: MapEdge[]): void {
    const oldX = this.xs;
    const oldY = this.ys;
    const oldIndex = this.index;
    this.nodes = nodes;
    this.ids = nodes.map(n => n.id);
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
    // Ours in a row along the bottom, left to right in the order given, one label's width apart.
    this.pinned = new Uint8Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (!nodes[i]!.own) continue;
      this.pinned[i] = 1;
      this.xs[i] = -0.92 + 0.34 * k++;
      this.ys[i] = 0.94;
    }
    this.degree = new Uint32Array(n);
    for (const [a, b] of this.edges) {
      this.degree[a]!++;
      this.degree[b]!++;
    }
    this.layout(oldIndex.size > 0 ? 60 : 150);
    this.draw();
  }

  /** The node drawn nearest to a pointer position (page coordinates), within 10 canvas pixels. */
  nodeAt(clientX: number, clientY: number): (MapNode & { channels: number }) | undefined {
    const r = this.canvas.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return undefined;
    const x = ((clientX - r.left) * this.canvas.width) / r.width;
    const y = ((clientY - r.top) * this.canvas.height) / r.height;
    let best: number | undefined;
    let bestD = 10 * 10;
    for (let i = 0; i < this.ids.length; i++) {
      const dx = this.px(i) - x;
      const dy = this.py(i) - y;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best === undefined ? undefined : { ...this.nodes[best]!, channels: this.degree[best]! };
  }

  /** Rings and labels one node (or none). */
  hover(id: string | undefined): void {
    if (id === this.hovered) return;
    this.hovered = id;
    this.draw();
  }

  private px(i: number): number {
    return this.canvas.width / 2 + this.xs[i]! * (this.canvas.width / 2 - 14);
  }

  private py(i: number): number {
    return this.canvas.height / 2 + this.ys[i]! * (this.canvas.height / 2 - 14);
  }

  /** A label beside node i, kept inside the canvas. */
  private label(g: CanvasRenderingContext2D, i: number, text: string, color: string): void {
    g.font = '12px system-ui, sans-serif';
    const w = g.measureText(text).width + 10;
    let x = this.px(i) + 9;
    let y = this.py(i) - 9;
    if (x + w > this.canvas.width - 2) x = this.px(i) - 9 - w;
    if (y - 16 < 2) y = this.py(i) + 24;
    g.fillStyle = 'rgba(15, 16, 32, 0.85)';
    g.fillRect(x, y - 15, w, 19);
    g.strokeStyle = color;
    g.lineWidth = 1;
    g.strokeRect(x + 0.5, y - 14.5, w - 1, 18);
    g.fillStyle = '#fff';
    g.fillText(text, x + 5, y - 1);
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
        if (this.pinned[i]) continue;
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
    if (this.ids.length === 0) {
      g.fillStyle = '#8890b0';
      g.font = '14px system-ui, sans-serif';
      g.textAlign = 'center';
      g.fillText("No gossip yet: the map fills in as the peer's gossip arrives.", w / 2, h / 2);
      g.textAlign = 'start';
      return;
    }
    const px = (i: number) => this.px(i);
    const py = (i: number) => this.py(i);
    g.strokeStyle = 'rgba(150, 160, 255, 0.25)';
    g.lineWidth = 1;
    g.beginPath();
    for (const [a, b] of this.edges) {
      g.moveTo(px(a), py(a));
      g.lineTo(px(b), py(b));
    }
    g.stroke();
    // Our channels, in our colour.
    g.strokeStyle = OWN_COLOR;
    g.lineWidth = 2;
    g.beginPath();
    for (const [a, b] of this.edges) {
      if (!this.pinned[a] || !this.pinned[b]) continue;
      g.moveTo(px(a), py(a));
      g.lineTo(px(b), py(b));
    }
    g.stroke();
    for (let i = 0; i < this.ids.length; i++) {
      const own = this.nodes[i]!.own === true;
      g.fillStyle = own ? OWN_COLOR : '#ffd24a';
      g.beginPath();
      g.arc(px(i), py(i), own ? 5 : 2.5, 0, 2 * Math.PI);
      g.fill();
    }
    const r = this.route.map(id => this.index.get(id)).filter((i): i is number => i !== undefined);
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
      this.label(g, r[0]!, `from ${this.nodes[r[0]!]!.alias}`, '#ff4d7a');
      this.label(g, r[r.length - 1]!, `to ${this.nodes[r[r.length - 1]!]!.alias}`, '#ff4d7a');
    }
    // Our nodes' names, but for the route's ends (labelled above).
    const ends = r.length > 1 ? [r[0], r[r.length - 1]] : [];
    for (let i = 0; i < this.ids.length; i++)
      if (this.nodes[i]!.own && !ends.includes(i)) this.label(g, i, this.nodes[i]!.alias, OWN_COLOR);
    const hv = this.hovered === undefined ? undefined : this.index.get(this.hovered);
    if (hv !== undefined) {
      g.strokeStyle = '#fff';
      g.lineWidth = 2;
      g.beginPath();
      g.arc(px(hv), py(hv), 7, 0, 2 * Math.PI);
      g.stroke();
      this.label(
        g,
        hv,
        `${this.nodes[hv]!.alias} · ${this.degree[hv]} channel${this.degree[hv] === 1 ? '' : 's'}`,
        `#${this.nodes[hv]!.color}`,
      );
    }
  }
}
