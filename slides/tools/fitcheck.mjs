// slides/tools/fitcheck.mjs - does every slide's content fit on the slide?
//
// Loads each built HTML deck in headless Chromium (puppeteer-core, which
// Marp CLI already depends on) and measures every slide: content that runs
// past the bottom padding, or a line wider than the slide, is cut off when
// projected. Prints each offender as deck:page and exits 1 if there is any.
//
// Usage: node slides/tools/fitcheck.mjs build/slides/en/*.html ...
import puppeteer from 'puppeteer-core';
import path from 'node:path';

const files = process.argv.slice(2);
const browser = await puppeteer.launch({
	executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
		'--disable-background-networking', '--no-first-run'],
});
let bad = 0;
try {
	const page = await browser.newPage();
	await page.setViewport({ width: 1280, height: 720 });
	// Measure the CSS layout alone, as the PDF prints it: the HTML's
	// scripts (presenter view, code auto-scaling) would change sizes.
	await page.setJavaScriptEnabled(false);
	for (const f of files) {
		await page.goto('file://' + path.resolve(f), { waitUntil: 'load' });
		await page.evaluate(() => document.fonts.ready);
		const res = await page.evaluate(() => {
			const out = [];
			const secs = document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section');
			secs.forEach((s, i) => {
				const cs = getComputedStyle(s);
				const limit = s.clientHeight - parseFloat(cs.paddingBottom) + 4;
				// Layout offsets, not client rectangles: the deck is scaled
				// to the window, offsets stay in slide pixels.
				let low = 0, wide = 0;
				for (const c of s.children) {
					if (c.tagName === 'HEADER' || c.tagName === 'FOOTER') continue;
					low = Math.max(low, c.offsetTop + c.offsetHeight);
					if (c.scrollWidth > c.clientWidth + 2) wide = 1;
				}
				if (low > limit || wide)
					out.push({ page: i + 1, over: Math.round(low - limit), wide,
						title: (s.querySelector('h1,h2') || {}).textContent || '' });
			});
			return { n: secs.length, out };
		});
		if (res.n === 0) {
			console.log(`${f}: no slides found`);
			bad++;
		}
		for (const r of res.out) {
			bad++;
			console.log(`${path.basename(path.dirname(f))}/${path.basename(f)}: page ${r.page} ` +
				`"${r.title}": ` + (r.over > 0 ? `${r.over}px too tall ` : '') +
				(r.wide ? 'a line is too wide' : ''));
		}
	}
} finally {
	await browser.close();
}
if (bad) {
	console.log(`fitcheck: ${bad} slide(s) do not fit`);
	process.exit(1);
}
console.log(`fitcheck: every slide of ${files.length} deck(s) fits`);
