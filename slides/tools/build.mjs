#!/usr/bin/env node
// slides/tools/build.mjs - build the lecture decks (`make slides`).
//
// The decks are Markdown for Marp (https://marp.app). Before Marp sees
// them this script expands four directives, so that nothing on a slide
// can drift away from the project it describes:
//
//   <!-- include: libminivmm/src/core/run.c#kvm-run-loop -->
//        the lines between `[slide:kvm-run-loop]` and `[/slide:kvm-run-loop]`
//        in that file, as a fenced code block. A missing file or marker
//        fails the build; a lab solution inside the region is shown as
//        its reference code (SLIDES_STUBS=1: its handout stub).
//   <!-- diagram: vmx-transitions h=430 -->
//        slides/diagrams/vmx-transitions.dot (or .zh.dot for Chinese decks)
//        rendered by Graphviz and embedded as an SVG data URI, so the HTML
//        is self-contained.
//   <!-- plot: startup h=380 -->
//        slides/plots/startup.gp (or .zh.gp) drawn by gnuplot from
//        slides/data/startup.csv, whose first line ("# CPU ...; KVM
//        backend ...") is printed under the plot: figures are always
//        shown with the machine they were measured on (`make slides-data`
//        re-measures them here).
//   <!-- run: build/mvmdbg --batch slides/demo/hello-real.cmds --stable IMAGE -->
//        the output of a real command, run from the repository root. A
//        non-zero exit status fails the build.
//
// It also checks every relative Markdown link (in the decks and in
// COURSE.md) points at a file that exists, and that each English deck and
// its Chinese translation have the same slides and the same directives in
// the same order ("same structure, two languages"). After Marp has made
// the HTML, tools/fitcheck.mjs measures every slide in Chromium and the
// build fails if anything runs off a slide.
//
// Usage: node slides/tools/build.mjs [--check] [--no-pdf]
//   --check   expand and check only, do not run Marp (fast CI check)
//   --no-pdf  HTML only
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDot } from './dotcheck.mjs';

const SLIDES = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const ROOT = path.dirname(SLIDES);
const OUT = path.join(ROOT, 'build', 'slides');
const LANGS = ['en', 'zh'];
// Code must stay readable from the back of a lecture hall: up to
// CODE_LINES lines at the normal size (20px), up to MAX_CODE_LINES at 16px
// (the slide gets class code-long), and never more.
const CODE_LINES = 16;
const MAX_CODE_LINES = 28;
// Columns: 20px monospace fits about 92 per line, 16px about 116.
const CODE_COLS = 90;
// At most BIG_CODE_LINES x BIG_CODE_COLS are shown at 24px (code-big).
const BIG_CODE_LINES = 14;
const BIG_CODE_COLS = 76;
const MAX_CODE_COLS = 116;
const args = new Set(process.argv.slice(2));
const errors = [];

function fail(where, msg) {
	errors.push(`${where}: ${msg}`);
}

// --- include: a marked region of a real source file -------------------
const LANG_BY_EXT = { '.c': 'c', '.h': 'c', '.S': 'x86asm', '.s': 'x86asm',
	'.sh': 'bash', '.mk': 'makefile', '.ld': 'text', '.md': 'markdown' };

function extractRegion(where, spec) {
	const [rel, name] = spec.split('#');
	if (!rel || !name) {
		fail(where, `include "${spec}" must look like path/to/file.c#marker`);
		return null;
	}
	const file = path.join(ROOT, rel);
	if (!fs.existsSync(file)) {
		fail(where, `include: ${rel} does not exist`);
		return null;
	}
	const lines = fs.readFileSync(file, 'utf8').split('\n');
	const open = `[slide:${name}]`, close = `[/slide:${name}]`;
	const starts = [], ends = [];
	lines.forEach((l, i) => {
		if (l.includes(open)) starts.push(i);
		if (l.includes(close)) ends.push(i);
	});
	if (starts.length !== 1 || ends.length !== 1 || ends[0] <= starts[0]) {
		fail(where, `include: ${rel} needs exactly one "${open}" line ` +
			`followed by one "${close}" line (found ${starts.length} ` +
			`opening, ${ends.length} closing)`);
		return null;
	}
	// Lab regions as asReference() decides, without the LAB markers; drop
	// nested markers of other excerpts; 8-column kernel tabs become 4
	// spaces, which keeps lines inside a slide's width.
	let body = asReference(lines.slice(starts[0] + 1, ends[0]))
		.filter((l) => !/\[\/?slide:[\w-]+\]/.test(l))
		.map((l) => l.replace(/\t/g, '    ').replace(/\s+$/, ''));
	// An excerpt from inside a function starts indented: shift it left.
	const indent = Math.min(...body.filter((l) => l.trim())
		.map((l) => /^ */.exec(l)[0].length));
	if (indent > 0 && indent < Infinity) body = body.map((l) => l.slice(indent));
	while (body.length && body[0] === '') body.shift();
	while (body.length && body[body.length - 1] === '') body.pop();
	if (body.length === 0)
		fail(where, `include: region ${name} in ${rel} is empty`);
	const width = Math.max(...body.map((l) => l.length));
	if (width > MAX_CODE_COLS)
		fail(where, `include: region ${name} in ${rel} has a line of ${width} ` +
			`columns; at most ${MAX_CODE_COLS} fit on a slide`);
	if (body.length > MAX_CODE_LINES)
		fail(where, `include: region ${name} in ${rel} has ${body.length} ` +
			`lines; at most ${MAX_CODE_LINES} fit on a slide`);
	const lang = LANG_BY_EXT[path.extname(rel)] || 'text';
	return codeClass(body.length, width, false) + '```' + lang + '\n' + body.join('\n') + '\n```\n' +
		`<div class="src">${rel}</div>`;
}

// A lab solution region (labs/README.md, "Marking a solution region")
//     /* LAB(n, name) BEGIN */ solution /* LAB(n) STUB stub LAB(n) END */
// is shown as its reference solution, since a lecture explains the
// mechanism; `make slides SLIDES_STUBS=1` builds decks for students who
// have not done the labs yet, with the stubs, exactly as `make handout`
// cuts them.
const SHOW_STUBS = process.env.SLIDES_STUBS === '1';

function asReference(lines) {
	const out = [];
	const skip = SHOW_STUBS ? 'sol' : 'stub';
	let state = 'out';
	for (const l of lines) {
		if (/^\s*\/\* LAB\(\d+, *[\w-]+\) BEGIN \*\/\s*$/.test(l)) state = 'sol';
		else if (/^\s*\/\* LAB\(\d+\) STUB\s*$/.test(l)) state = 'stub';
		else if (/^\s*LAB\(\d+\) END \*\/\s*$/.test(l)) state = 'out';
		else if (state !== skip) out.push(l);
	}
	return out;
}

// --- diagram: Graphviz text -> embedded SVG ------------------------------
const svgCache = new Map();

function renderDiagram(where, spec, lang) {
	const [name, ...opts] = spec.split(/\s+/);
	let dot = path.join(SLIDES, 'diagrams', `${name}.${lang}.dot`);
	if (!fs.existsSync(dot)) dot = path.join(SLIDES, 'diagrams', `${name}.dot`);
	if (!fs.existsSync(dot)) {
		fail(where, `diagram: slides/diagrams/${name}.dot does not exist`);
		return null;
	}
	if (!svgCache.has(dot)) {
		const r = spawnSync('dot', ['-Tsvg', dot], { encoding: 'utf8' });
		if (r.error || r.status !== 0) {
			fail(where, `diagram: dot -Tsvg ${path.relative(ROOT, dot)} ` +
				`failed: ${r.error ? r.error.message : r.stderr}`);
			return null;
		}
		// Labels crossed by lines or by each other (dotcheck.mjs).
		for (const problem of checkDot(dot))
			fail(where, `diagram: ${problem}`);
		fs.mkdirSync(path.join(OUT, 'diagrams'), { recursive: true });
		const base = path.basename(dot, '.dot');
		fs.writeFileSync(path.join(OUT, 'diagrams', `${base}.svg`), r.stdout);
		svgCache.set(dot, r.stdout);
	}
	const h = /^h=(\d+)$/.exec(opts.find((o) => o.startsWith('h=')) || '');
	return `<p class="diagram">${inlineSvg(svgCache.get(dot), h ? +h[1] : 400)}</p>`;
}

// The diagram's <svg> element itself, in the slide's HTML, not an <img>:
// an <img> is a document of its own, whose CJK text Chromium's PDF writer
// embeds as one more subset of the same font (a zh deck then carries the
// font two or three times). Inline, its labels use the deck's fonts
// (minivmm-zh.css "MVM CJK"). One line with no comments, so markdown-it
// keeps it as one HTML block and Marp sees no directives in it; Marp
// runs with --html for it (no deck text is lost: every deck's text was
// compared with and without it).
function inlineSvg(svg, height) {
	let s = svg.slice(svg.indexOf('<svg'));
	const vb = /viewBox="([^"]+)"/.exec(s)[1].trim().split(/\s+/).map(Number);
	s = s.replace(/<!--[\s\S]*?-->|<title>[^<]*<\/title>/g, '')
		.replace(/^<svg width="[^"]*" height="[^"]*"/,
			`<svg width="${Math.round((height * vb[2]) / vb[3])}" height="${height}" ` +
				'style="max-width:100%;height:auto"')
		.replaceAll('font-family="WenQuanYi Micro Hei"', 'font-family="MVM CJK"');
	return s.replace(/\s*\n\s*/g, ' ');
}

// --- plot: gnuplot over a labelled CSV -> embedded SVG --------------------
const MEASURED_ON = { en: 'Measured on', zh: '测量环境' };

function renderPlot(where, spec, lang) {
	const [name, ...opts] = spec.split(/\s+/);
	let gp = path.join(SLIDES, 'plots', `${name}.${lang}.gp`);
	if (!fs.existsSync(gp)) gp = path.join(SLIDES, 'plots', `${name}.gp`);
	const csv = path.join(SLIDES, 'data', `${name}.csv`);
	for (const f of [gp, csv]) {
		if (!fs.existsSync(f)) {
			fail(where, `plot: ${path.relative(ROOT, f)} does not exist`);
			return null;
		}
	}
	const first = fs.readFileSync(csv, 'utf8').split('\n')[0];
	if (!first.startsWith('# ')) {
		fail(where, `plot: ${path.relative(ROOT, csv)} must start with a ` +
			'"# machine" line (scripts/slides-data.sh writes one)');
		return null;
	}
	const r = spawnSync('gnuplot', ['-e', `data='${csv}'`, gp], { encoding: 'utf8' });
	if (r.error || r.status !== 0 || r.stderr.trim()) {
		fail(where, `plot: gnuplot ${path.relative(ROOT, gp)} failed: ` +
			(r.error ? r.error.message : r.stderr.trim().slice(0, 400)));
		return null;
	}
	const h = /^h=(\d+)$/.exec(opts.find((o) => o.startsWith('h=')) || '');
	const esc = first.slice(2).replace(/&/g, '&amp;').replace(/</g, '&lt;');
	return `<p class="diagram"><img height="${h ? h[1] : 380}" ` +
		`src="data:image/svg+xml;base64,${Buffer.from(r.stdout).toString('base64')}"></p>\n` +
		`<div class="src">${MEASURED_ON[lang] ?? MEASURED_ON.en}: ${esc}</div>`;
}

// --- run: real terminal output ------------------------------------------
function runCommand(where, cmd) {
	const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], {
		cwd: ROOT, encoding: 'utf8', timeout: 60000,
		env: { ...process.env, TERM: 'dumb', NO_COLOR: '1' },
	});
	if (r.error || r.status !== 0) {
		fail(where, `run: "${cmd}" failed (status ${r.status}): ` +
			(r.error ? r.error.message : r.stderr.trim().slice(0, 400)));
		return null;
	}
	const lines = ((r.stdout + r.stderr).replace(/\s+$/, '')).split('\n')
		.map((l) => l.replace(/\s+$/, ''));
	lines.unshift(...wrapCommand('$ ' + cmd));
	const width = Math.max(...lines.map((l) => l.length));
	if (lines.length > MAX_CODE_LINES || width > MAX_CODE_COLS)
		fail(where, `run: "${cmd}" printed ${lines.length} lines of up to ` +
			`${width} columns; at most ${MAX_CODE_LINES} x ${MAX_CODE_COLS} fit`);
	return codeClass(lines.length, width) + '```text\n' + lines.join('\n') + '\n```';
}

// A long command line sets the width of the whole block and so its font
// size: break it the way a shell user would, with " \" continuations.
function wrapCommand(line, cols = BIG_CODE_COLS) {
	const out = [];
	let cur = '';
	for (const word of line.split(' ')) {
		if (cur && cur.length + 1 + word.length + 2 > cols) {
			out.push(cur + ' \\');
			cur = '    ' + word;
		} else {
			cur = cur ? cur + ' ' + word : word;
		}
	}
	out.push(cur);
	return out;
}

// Few, short lines are shown larger (code-big), many or long ones smaller
// (code-long): a terminal on a projector should fill the slide it is on.
// Source excerpts share their slide with prose, so they stay at 20px.
function codeClass(nlines, width, big = true) {
	if (nlines > CODE_LINES || width > CODE_COLS)
		return '<!-- _class: code-long -->\n';
	if (big && nlines <= BIG_CODE_LINES && width <= BIG_CODE_COLS)
		return '<!-- _class: code-big -->\n';
	return '';
}

// --- links: every relative link must name an existing file ---------------
function checkLinks(file, text, outDir) {
	return text.replace(/\]\(([^)\s]+)\)/g, (m, target) => {
		if (/^(https?:|mailto:|#|data:)/.test(target)) return m;
		const [p, frag] = target.split('#');
		const abs = path.resolve(path.dirname(file), p);
		if (!fs.existsSync(abs)) {
			fail(path.relative(ROOT, file), `broken link: ${target} ` +
				`(${path.relative(ROOT, abs)} does not exist)`);
			return m;
		}
		if (!outDir) return m;
		const rel = path.relative(outDir, abs) + (frag ? `#${frag}` : '');
		return `](${rel})`;
	});
}

// Marp renders every newline inside a paragraph as a line break, so the
// sources' hard-wrapped lines would print as ragged short lines. Join
// continuation lines first: with a space between words, and with nothing
// between two CJK characters (a space there would show in Chinese text).
const CJK = /[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]/;
const BLOCK_START = /^\s*([-*+] |\d+\. |\||#|<|```|---|$)/;

function unwrap(text) {
	const out = [];
	let fence = false;
	for (const line of text.split('\n')) {
		if (/^\s*```/.test(line)) fence = !fence;
		const prev = out.length ? out[out.length - 1] : '';
		const quote = /^> /.test(line) && /^> /.test(prev);
		const cont = !fence && !/^\s*```/.test(line) && prev.trim() !== '' &&
			!BLOCK_START.test(prev.replace(/^\s*([-*+] |\d+\. )/, 'x')) &&
			(quote || (!BLOCK_START.test(line) && !/^>/.test(line)));
		if (!cont) {
			out.push(line);
			continue;
		}
		const rest = quote ? line.slice(2).trim() : line.trim();
		const glue = CJK.test(prev.slice(-1)) && CJK.test(rest[0]) ? '' : ' ';
		out[out.length - 1] = prev + glue + rest;
	}
	return out.join('\n');
}

// The directives of a deck, in order, and its slide count: an English deck
// and its translation must agree on both.
function structure(text) {
	const dirs = [...text.matchAll(/<!--\s*(include|diagram|plot|run):\s*(.*?)\s*-->/g)]
		.map((m) => `${m[1]}:${m[2].split(/\s+/)[0]}`);
	const body = text.replace(/^---\n[\s\S]*?\n---\n/, '');
	const slides = body.split('\n').filter((l) => l === '---').length + 1;
	return { dirs, slides };
}

function expand(file, lang) {
	const where = path.relative(ROOT, file);
	let text = fs.readFileSync(file, 'utf8');
	if (!/^---\n[\s\S]*?marp:\s*true/.test(text))
		fail(where, 'front matter must start the file and say "marp: true"');
	text = text.replace(/<!--\s*include:\s*(.*?)\s*-->/g,
		(m, spec) => extractRegion(where, spec) ?? m);
	text = text.replace(/<!--\s*diagram:\s*(.*?)\s*-->/g,
		(m, spec) => renderDiagram(where, spec, lang) ?? m);
	text = text.replace(/<!--\s*plot:\s*(.*?)\s*-->/g,
		(m, spec) => renderPlot(where, spec, lang) ?? m);
	text = text.replace(/<!--\s*run:\s*(.*?)\s*-->/g,
		(m, cmd) => runCommand(where, cmd) ?? m);
	const fm = /^---\n[\s\S]*?\n---\n/.exec(text)?.[0] ?? '';
	text = fm + unwrap(text.slice(fm.length));
	return checkLinks(file, text, path.join(OUT, lang));
}

function decks(lang) {
	return fs.readdirSync(path.join(SLIDES, lang))
		.filter((f) => /^\d\d-.*\.md$/.test(f)).sort();
}

function main() {
	const names = decks('en');
	for (const lang of LANGS.slice(1)) {
		const other = decks(lang);
		for (const n of names)
			if (!other.includes(n)) fail(`slides/${lang}`, `missing translation ${n}`);
		for (const n of other)
			if (!names.includes(n)) fail(`slides/${lang}/${n}`, 'has no English deck');
	}
	const md = path.join(OUT, 'md');
	fs.rmSync(md, { recursive: true, force: true });
	for (const lang of LANGS) {
		fs.mkdirSync(path.join(md, lang), { recursive: true });
		for (const n of decks(lang)) {
			const src = path.join(SLIDES, lang, n);
			fs.writeFileSync(path.join(md, lang, n), expand(src, lang));
		}
	}
	for (const n of names) {
		const zh = path.join(SLIDES, 'zh', n);
		if (!fs.existsSync(zh)) continue;
		const a = structure(fs.readFileSync(path.join(SLIDES, 'en', n), 'utf8'));
		const b = structure(fs.readFileSync(zh, 'utf8'));
		if (a.slides !== b.slides)
			fail(`slides/zh/${n}`, `${b.slides} slides, English has ${a.slides}`);
		if (a.dirs.join() !== b.dirs.join())
			fail(`slides/zh/${n}`, `directives differ from the English deck:\n` +
				`    en: ${a.dirs.join(', ')}\n    zh: ${b.dirs.join(', ')}`);
	}
	const course = path.join(ROOT, 'COURSE.md');
	if (fs.existsSync(course)) checkLinks(course, fs.readFileSync(course, 'utf8'));
	else fail('COURSE.md', 'does not exist');

	if (errors.length) {
		console.error(`slides: ${errors.length} problem(s):`);
		for (const e of errors) console.error(`  ${e}`);
		process.exit(1);
	}
	if (args.has('--check')) {
		console.log(`slides: ${names.length} decks x ${LANGS.length} languages checked`);
		return;
	}
	marp(md, ['--html']);
	fitcheck(names);
	if (!args.has('--no-pdf')) marp(md, ['--pdf', '--pdf-outlines']);
	writeIndex(names);
	if (!args.has('--no-pdf')) checkCoursePages(names);
}

function marp(inputDir, extra) {
	const bin = path.join(SLIDES, 'node_modules', '.bin', 'marp');
	const theme = path.join(SLIDES, 'theme');
	const chrome = process.env.CHROME_PATH || '/usr/bin/chromium';
	if (!fs.existsSync(bin) || !fs.existsSync(chrome)) {
		console.error(`slides: ${fs.existsSync(bin) ? chrome : bin} is missing; ` +
			'`make slides` installs it (slides/install-deps.sh, npm ci)');
		process.exit(1);
	}
	const r = spawnSync(bin, ['--input-dir', inputDir, '--output', OUT,
		'--theme-set', theme, '--browser', 'chrome',
		'--browser-path', chrome, '--browser-timeout', '120', '--parallel', '2',
		'--html',
		...extra], {
		stdio: ['ignore', 'inherit', 'inherit'],
		env: { ...process.env, CHROME_PATH: chrome, CHROME_DISABLE_GPU: '1' },
	});
	if (r.error || r.status !== 0) {
		console.error(`slides: marp ${extra.join(' ')} failed` +
			(r.error ? `: ${r.error.message}` : ` (status ${r.status})`));
		process.exit(1);
	}
}

// Every slide must fit: tools/fitcheck.mjs measures the HTML in Chromium.
function fitcheck(names) {
	const html = LANGS.flatMap((l) =>
		names.map((n) => path.join(OUT, l, n.replace(/\.md$/, '.html'))));
	const r = spawnSync(process.execPath,
		[path.join(SLIDES, 'tools', 'fitcheck.mjs'), ...html],
		{ stdio: 'inherit', env: { ...process.env,
			CHROME_PATH: process.env.CHROME_PATH || '/usr/bin/chromium' } });
	if (r.status !== 0) {
		console.error('slides: shorten the slides listed above (or split them)');
		process.exit(1);
	}
}

function pdfPages(file) {
	try {
		const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
		return Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
	} catch {
		return null;
	}
}

// COURSE.md lists each deck with its page count: keep the table true.
function checkCoursePages(names) {
	const course = fs.readFileSync(path.join(ROOT, 'COURSE.md'), 'utf8');
	const bad = [];
	for (const n of names) {
		const base = n.replace(/\.md$/, '');
		const m = new RegExp(`\\(slides/zh/${base}\\.md\\)\\) \\| (\\d+) \\|`).exec(course);
		const pages = pdfPages(path.join(OUT, 'en', `${base}.pdf`));
		if (!m || Number(m[1]) !== pages)
			bad.push(`${base}: ${pages} pages, COURSE.md says ${m ? m[1] : 'nothing'}`);
	}
	if (bad.length) {
		console.error('slides: update the page counts in COURSE.md ("The lectures"):\n  ' +
			bad.join('\n  '));
		process.exit(1);
	}
}

// build/slides/index.html: every deck, both languages, with page counts.
function writeIndex(names) {
	const rows = names.map((n) => {
		const base = n.replace(/\.md$/, '');
		const title = /^#\s+(.*)$/m.exec(
			fs.readFileSync(path.join(SLIDES, 'en', n), 'utf8'))?.[1] ?? base;
		const cells = LANGS.map((l) => {
			const pages = pdfPages(path.join(OUT, l, `${base}.pdf`));
			return `<td><a href="${l}/${base}.html">HTML</a>` +
				(pages ? ` · <a href="${l}/${base}.pdf">PDF</a> (${pages} pages)` : '') +
				'</td>';
		});
		// Sizes too: a CJK font Chromium cannot subset (CFF outlines)
		// is printed as Type 3 glyphs and makes the zh PDFs 3-4x larger.
		const kb = (l) => {
			const f = path.join(OUT, l, `${base}.pdf`);
			return fs.existsSync(f) ? Math.round(fs.statSync(f).size / 1024) : 0;
		};
		console.log(`  ${base}: ` + LANGS.map((l) =>
			`${l} ${pdfPages(path.join(OUT, l, `${base}.pdf`)) ?? '-'} pages ` +
			`${kb(l)} KiB`).join(', '));
		return `<tr><td>${title}</td>${cells.join('')}</tr>`;
	});
	fs.writeFileSync(path.join(OUT, 'index.html'),
		'<!doctype html><meta charset="utf-8"><title>minivmm lectures</title>' +
		'<style>body{font-family:"DejaVu Sans","WenQuanYi Micro Hei",sans-serif;' +
		'margin:2em auto;max-width:60em}td,th{padding:.3em .8em;' +
		'border-bottom:1px solid #ddd;text-align:left}</style>' +
		'<h1>minivmm lectures / 讲义</h1><p>Present the HTML in a browser: ' +
		'<kbd>f</kbd> full screen, <kbd>p</kbd> presenter view with notes. ' +
		'Syllabus and schedule: COURSE.md.</p><table><tr><th>Lecture</th>' +
		'<th>English</th><th>简体中文</th></tr>' + rows.join('\n') + '</table>\n');
	console.log(`slides: ${names.length} decks in ${LANGS.length} languages -> ` +
		`${path.relative(ROOT, OUT)}/index.html`);
}

main();
