// dotcheck.mjs - find label collisions in a laid-out Graphviz diagram.
//
// Graphviz knows where it put everything: `dot -Tjson` gives each node's,
// cluster's and edge's drawing operations in xdot form (Graphviz docs,
// "xdot" output: "T x y j w text" draws text centred/left/right at x,y;
// "b"/"B" are B-spline control points). From those we check
//   - an edge's line crosses a text it does not own (a cluster title, a
//     node's label, another edge's label);
//   - an edge's line runs through its own label ("labels sitting on lines");
//   - two texts overlap.
// Text boxes are estimated from the text's width and font size (xdot has
// no height), shrunk by a small margin, so a near miss is not reported.
//
// Usage: node dotcheck.mjs FILE.dot...   (exit 1 and one line per problem)
//        import { checkDot } from './dotcheck.mjs'  (returns the lines)
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MARGIN = 1.5; // points each side a box is shrunk by

function textBoxes(ops, owner) {
	const boxes = [];
	let size = 14;
	for (const op of ops || []) {
		if (op.op === 'F') size = op.size;
		if (op.op !== 'T') continue;
		const w = op.width;
		const x0 = op.align === 'l' ? op.pt[0]
			: op.align === 'r' ? op.pt[0] - w : op.pt[0] - w / 2;
		// Baseline at pt[1] (y grows upwards): descent ~0.25, ascent ~0.75.
		boxes.push({
			owner, text: op.text,
			x0: x0 + MARGIN, x1: x0 + w - MARGIN,
			y0: op.pt[1] - 0.25 * size + MARGIN,
			y1: op.pt[1] + 0.75 * size - MARGIN,
		});
	}
	return boxes;
}

// Points along each cubic Bezier piece of a B-spline (xdot "b"/"B").
function splinePoints(ops) {
	const pts = [];
	for (const op of ops || []) {
		if (op.op !== 'b' && op.op !== 'B') continue;
		const p = op.points;
		for (let i = 0; i + 3 < p.length; i += 3) {
			for (let k = 0; k <= 20; k++) {
				const t = k / 20, u = 1 - t;
				const a = u * u * u, b = 3 * u * u * t;
				const c = 3 * u * t * t, d = t * t * t;
				pts.push([
					a * p[i][0] + b * p[i + 1][0] + c * p[i + 2][0] + d * p[i + 3][0],
					a * p[i][1] + b * p[i + 1][1] + c * p[i + 2][1] + d * p[i + 3][1],
				]);
			}
		}
	}
	return pts;
}

const inside = (b, [x, y]) => x > b.x0 && x < b.x1 && y > b.y0 && y < b.y1;
const overlap = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

export function checkDot(file) {
	const r = spawnSync('dot', ['-Tjson', file], { encoding: 'utf8' });
	if (r.error || r.status !== 0)
		return [`${file}: dot -Tjson failed: ${r.error ? r.error.message : r.stderr}`];
	const g = JSON.parse(r.stdout);
	const objs = g.objects || [];
	const name = (i) => (objs[i] ? objs[i].name : `#${i}`);
	const boxes = [], edges = [];
	for (const o of objs) {
		const kind = o.nodes ? 'cluster' : 'node';
		boxes.push(...textBoxes(o._ldraw_, `${kind} ${o.name}`));
	}
	for (const e of g.edges || []) {
		const id = `edge ${name(e.tail)} -> ${name(e.head)}`;
		boxes.push(...textBoxes(e._ldraw_, id));
		boxes.push(...textBoxes(e._tldraw_, id));
		boxes.push(...textBoxes(e._hldraw_, id));
		edges.push({ id, pts: splinePoints(e._draw_) });
	}
	const problems = [];
	const rel = path.relative(process.cwd(), file);
	for (const e of edges) {
		for (const b of boxes) {
			if (!e.pts.some((p) => inside(b, p)))
				continue;
			// A node's own label is crossed only by edges ending inside
			// the node, which Graphviz clips: those never reach here.
			problems.push(b.owner === e.id
				? `${rel}: ${e.id}: its line runs through its label "${b.text}"`
				: `${rel}: ${e.id} crosses the ${b.owner.split(' ')[0]} label "${b.text}"`);
		}
	}
	for (let i = 0; i < boxes.length; i++)
		for (let j = i + 1; j < boxes.length; j++)
			if (boxes[i].owner !== boxes[j].owner && overlap(boxes[i], boxes[j]))
				problems.push(`${rel}: labels "${boxes[i].text}" and ` +
					`"${boxes[j].text}" overlap`);
	return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	let bad = 0;
	for (const f of process.argv.slice(2)) {
		for (const p of checkDot(f)) {
			console.log(p);
			bad++;
		}
	}
	process.exit(bad ? 1 : 0);
}
