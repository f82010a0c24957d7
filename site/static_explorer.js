// The explorer of the static edition: variance and depth move with no kernel.
//
// Each explorer on a page is a <div class="kl-explorer"> holding its numbers as JSON
// (site/build.py's static_data writes them). For a bias-free ReLU, leaky ReLU or
// linear network one stored run at m = 1 gives every variance: by positive
// homogeneity mean(z^(h)^2) scales by m^(h+1) and the gradient's second moment at
// layer h of a depth-layer net by m^(depth-h). The theory is the variance recursion
// q_0 = 2m E[x^2], q_h = 2m r q_(h-1) (r = E[phi(z)^2]/q). The verdict is worded as
// kaiming_lab/explorer/verdict.py words it. window.kaimingStatic.compute(data, m, depth)
// returns the numbers, so tests compare them with the Python explorer's.
(function () {
  "use strict";
  const THRESHOLD = 2.0;
  const SPREAD_SDS = 2.0;
  const FLOAT_MAX = 1.7976931348623157e308;
  const PLOT_MAX = 1e300;
  const NETWORK = "#0072B2", THEORY = "#D55E00", BAND = "#56B4E9", BAND_EDGE = "#2F8AC4";
  const STATUS = {exploding: "#BF5200", vanishing: "#0072B2", stable: "#00775A"};
  const SUP = {"-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹"};

  const num = (v) => (v === null ? NaN : v);

  // Python's format(v, ".Ng")
  function pyG(v, p) {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (v === 0) return "0";
    const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
    const [mant, e] = v.toExponential(p - 1).split("e");
    const E = parseInt(e, 10);
    if (E < -4 || E >= p) {
      return strip(mant) + "e" + (E < 0 ? "-" : "+") + String(Math.abs(E)).padStart(2, "0");
    }
    return strip(v.toFixed(Math.max(0, p - 1 - E)));
  }

  function sci(v) {
    if (v === 0 || !Number.isFinite(v)) return v === Infinity ? "beyond float64" : pyG(v, 6);
    if (Math.abs(v) >= 0.01 && Math.abs(v) < 1000) return pyG(v, 3);
    const [mant, e] = v.toExponential(1).split("e");
    return mant + "e" + parseInt(e, 10);
  }

  function networkRange(steps, width, activation) {
    const c = activation === "linear" ? 2.0 : 5.0;
    const centre = (-c * steps) / (4.0 * width);
    const half = SPREAD_SDS * 0.5 * Math.sqrt((c * steps) / width);
    return [Math.exp(centre - half), Math.exp(centre + half)];
  }

  function ratio(last, first) {
    if (!(Number.isFinite(first) && first > 0) || Number.isNaN(last)) return NaN;
    return last / first;
  }

  function word(f) {
    if (Number.isNaN(f)) return "stable";
    if (f > THRESHOLD) return "exploding";
    if (f < 1.0 / THRESHOLD) return "vanishing";
    return "stable";
  }

  // The explorer's view of (m, depth): this network, the theory and the verdict.
  function compute(data, m, depth) {
    const st = data.state;
    const width = st.width;
    const rmsZ = new Array(depth), grad = new Array(depth + 1);
    let overflow = data.overflow_layer;
    const meanSq = new Array(depth);
    for (let h = 0; h < depth; h++) meanSq[h] = num(data.mean_sq_z[h]) * Math.pow(m, h + 1.0);
    for (let h = 0; h < depth; h++) {
      if (!(meanSq[h] <= FLOAT_MAX / 4)) {
        overflow = overflow === null ? h : Math.min(overflow, h);
        break;
      }
    }
    if (overflow !== null && overflow < depth) {
      for (let h = overflow; h < depth; h++) meanSq[h] = NaN;
    } else {
      overflow = null;
    }
    for (let h = 0; h < depth; h++) rmsZ[h] = Math.sqrt(meanSq[h]);
    const g1 = data.grad[depth - 1];
    for (let h = 0; h <= depth; h++) {
      const g = num(g1[h]) * Math.pow(m, depth - h);
      grad[h] = Number.isFinite(g) ? g : NaN;
    }
    let underflow = data.underflow_layer;
    if (underflow !== null && underflow >= depth) underflow = null;
    // theory: the variance recursion, then the backward one
    const s = 2.0 * m;
    const q = new Array(depth);
    q[0] = s * data.input_second_moment + 0.0;
    for (let h = 1; h < depth; h++) {
      q[h] = Number.isFinite(q[h - 1]) ? s * (data.ratio * q[h - 1]) + 0.0 : Infinity;
    }
    const gt = new Array(depth + 1);
    gt[depth] = Number.isFinite(grad[depth]) ? grad[depth] : 1.0;
    for (let h = depth - 1; h >= 0; h--) {
      const d2 = Number.isFinite(q[h]) ? data.ratio : NaN;
      gt[h] = ((width * s) / width) * d2 * gt[h + 1];
    }
    const theoryStd = q.map(Math.sqrt);
    // verdict (kaiming_lab/explorer/verdict.py: assess)
    const forward = ratio(theoryStd[depth - 1], theoryStd[0]);
    const backward = Math.sqrt(ratio(gt[0], gt[depth]));
    const fw = word(forward), bw = word(backward);
    let status, label;
    if (fw !== "stable") {
      status = fw;
      label = bw === "stable" || bw === fw ? fw : `${fw} forward, ${bw} gradients`;
    } else {
      status = bw;
      label = bw === "stable" ? bw : `${bw} gradients`;
    }
    const layers = depth === 1 ? "layer" : "layers";
    let headline = `${label}: theory predicts rms(z) ×${sci(forward)} over ${depth} ${layers}`;
    if (!Number.isNaN(backward)) headline += `, gradients ×${sci(backward)} back to the input`;
    headline += ` (${status === "stable" ? "within" : "beyond"} ×${pyG(THRESHOLD, 6)})`;
    let detail;
    if (overflow !== null) {
      detail = `This network: z^2 beyond float64 (~1.8e308) from layer ${overflow}`;
    } else if (underflow !== null) {
      detail = `This network: every activation is exactly 0 from layer ${underflow}`;
    } else {
      detail = `This network: rms(z) ×${sci(ratio(rmsZ[depth - 1], rmsZ[0]))}`;
      const g = Math.sqrt(ratio(grad[0], grad[depth]));
      detail += Number.isFinite(g) ? `, gradients ×${sci(g)}` : ", gradients not finite";
      if (depth > 1 && Number.isFinite(forward) && forward > 0) {
        const [lo, hi] = networkRange(depth - 1, width, st.activation);
        detail += `; networks like it: rms(z) ×${sci(forward * lo)} to ×${sci(forward * hi)}`;
      }
    }
    return {rms_z: rmsZ, theory_std: theoryStd, mean_sq_grad: grad, grad_theory: gt,
            status, headline, detail, overflow_layer: overflow, underflow_layer: underflow};
  }

  // ---- drawing: two SVG panels on log axes -------------------------------------------
  const SVGNS = "http://www.w3.org/2000/svg";
  const powerLabel = (k) =>
    k >= -2 && k <= 3 ? pyG(Math.pow(10, k), 6) : "10" + String(k).split("").map((c) => SUP[c]).join("");

  function logLimits(arrays) {
    let lo = Infinity, hi = -Infinity;
    for (const a of arrays) for (const v of a) {
      if (v > 1 / PLOT_MAX && v < PLOT_MAX) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    if (lo === Infinity) return [-1, 1];
    let l = Math.floor(Math.log10(lo) - 0.05), u = Math.ceil(Math.log10(hi) + 0.05);
    if (u - l < 2) { l -= 1; u += 1; }
    return [l, u];
  }

  function decadeTicks(lo, hi) {
    for (const step of [1, 2, 5, 10, 20, 25, 50, 100]) {
      const ticks = [];
      for (let k = Math.ceil(lo / step) * step; k <= hi; k += step) ticks.push(k);
      if (ticks.length <= 6) return ticks;
    }
    return [lo, hi];
  }

  function depthTicks(xmax) {
    const step = [2, 5, 10, 20].find((s) => xmax / s <= 5);
    const t = [];
    for (let x = 0; x <= xmax; x += step) t.push(x);
    return t;
  }

  function panel(svg, title, yLabel, x, data, theory, band, xmax) {
    const W = 420, H = 260, L = 64, R = 12, T = 30, B = 44;
    const [lo, hi] = logLimits([data, theory]);
    const X = (v) => L + ((v + 0.01 * xmax) / (1.02 * xmax)) * (W - L - R);
    const Y = (v) => T + (1 - (Math.log10(v) - lo) / (hi - lo)) * (H - T - B);
    const clip = (v) => Math.min(Math.max(v, Math.pow(10, lo)), Math.pow(10, hi));
    const ok = (v) => v > 1 / PLOT_MAX && v < PLOT_MAX;
    const parts = [`<text class="kl-title" x="${W / 2}" y="18" text-anchor="middle">${title}</text>`];
    for (const k of decadeTicks(lo, hi)) {
      const y = Y(Math.pow(10, k)).toFixed(1);
      parts.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#ddd" stroke-dasharray="3 3"/>`,
                 `<text class="kl-tick" x="${L - 6}" y="${y}" dy="0.35em" text-anchor="end">${powerLabel(k)}</text>`);
    }
    for (const t of depthTicks(xmax)) {
      parts.push(`<text class="kl-tick" x="${X(t).toFixed(1)}" y="${H - B + 18}" text-anchor="middle">${t}</text>`);
    }
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#595959"/>`,
               `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#595959"/>`,
               `<text class="kl-axis" x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">layer h</text>`,
               `<text class="kl-axis" transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>`);
    const [bl, bh] = band;
    const top = [], bottom = [];
    for (let i = 0; i < x.length; i++) {
      if (Number.isFinite(bl[i]) && Number.isFinite(bh[i])) {
        top.push(`${X(x[i]).toFixed(1)},${Y(clip(bh[i])).toFixed(1)}`);
        bottom.push(`${X(x[i]).toFixed(1)},${Y(clip(bl[i])).toFixed(1)}`);
      }
    }
    if (top.length) {
      parts.push(`<polygon class="kl-band" points="${top.concat(bottom.slice().reverse()).join(" ")}" fill="${BAND}" fill-opacity="0.25" stroke="none"/>`,
                 `<polyline points="${top.join(" ")}" fill="none" stroke="${BAND_EDGE}" stroke-width="1"/>`,
                 `<polyline points="${bottom.join(" ")}" fill="none" stroke="${BAND_EDGE}" stroke-width="1"/>`);
    }
    const line = [];
    for (let i = 0; i < x.length; i++) if (ok(theory[i])) line.push(`${X(x[i]).toFixed(1)},${Y(theory[i]).toFixed(1)}`);
    parts.push(`<polyline class="kl-theory" points="${line.join(" ")}" fill="none" stroke="${THEORY}" stroke-width="3" stroke-dasharray="8 5"/>`);
    for (let i = 0; i < x.length; i++) {
      if (ok(data[i])) parts.push(`<circle class="kl-dot" cx="${X(x[i]).toFixed(1)}" cy="${Y(data[i]).toFixed(1)}" r="3.2" fill="${NETWORK}" stroke="white" stroke-width="0.5"/>`);
    }
    svg.innerHTML = parts.join("");
  }

  function draw(root, data, view, depth) {
    const xmax = [10, 25, 50, 100].find((n) => n >= depth);
    const range = [];
    for (let h = 0; h <= depth; h++) range.push(networkRange(h, data.state.width, data.state.activation));
    const xs = [...Array(depth + 1).keys()];
    const fLo = view.theory_std.map((t, h) => t * range[h][0]);
    const fHi = view.theory_std.map((t, h) => t * range[h][1]);
    const bLo = view.grad_theory.map((t, h) => t * range[depth - h][0] ** 2);
    const bHi = view.grad_theory.map((t, h) => t * range[depth - h][1] ** 2);
    panel(root.querySelector(".kl-forward"), "forward: rms(z) per layer", "rms(z)",
          xs.slice(0, depth), view.rms_z, view.theory_std, [fLo, fHi], xmax);
    panel(root.querySelector(".kl-backward"), "backward: mean square of dL/dx per layer",
          "mean (dL/dx)²", xs, view.mean_sq_grad, view.grad_theory, [bLo, bHi], xmax);
    const v = root.querySelector(".kl-verdict");
    v.querySelector(".kl-headline").textContent = view.headline;
    v.querySelector(".kl-headline").style.color = STATUS[view.status];
    v.querySelector(".kl-detail").textContent = view.detail;
    root.dataset.status = view.status;
  }

  function fraction(m) {
    for (let den = 1; den <= 12; den++) {
      const numr = Math.round(m * den);
      if (numr > 0 && Math.abs(numr / den / m - 1) < 1e-9) return den === 1 ? `${numr}` : `${numr}/${den}`;
    }
    return pyG(m, 3);
  }

  function setUp(root) {
    const data = JSON.parse(root.querySelector("script.kl-data").textContent);
    if (!data.rescalable) {
      const v = data.view;
      const depth = data.state.depth;
      draw(root, data, {...v, rms_z: v.rms_z.map(num), theory_std: v.theory_std.map(num),
                        mean_sq_grad: v.mean_sq_grad.map(num), grad_theory: v.grad_theory.map(num)}, depth);
      return;
    }
    const mult = root.querySelector("input.kl-multiplier");
    const depthInput = root.querySelector("input.kl-depth");
    const readout = root.querySelector(".kl-readout");
    const depthOut = root.querySelector(".kl-depth-readout");
    const redraw = () => {
      const m = Math.min(Math.max(Math.pow(10, parseFloat(mult.value)), 0.1), 10.0);
      const exact = parseFloat(mult.dataset.exact);
      const value = Math.abs(parseFloat(mult.value) - Math.log10(exact)) < 0.01 ? exact : m;
      const depth = parseInt(depthInput.value, 10);
      readout.textContent = "×" + fraction(value);
      mult.setAttribute("aria-valuetext", `×${fraction(value)} of 2/fan_in`);
      depthOut.textContent = String(depth);
      draw(root, data, compute(data, value, depth), depth);
    };
    mult.addEventListener("input", redraw);
    depthInput.addEventListener("input", redraw);
    redraw();
  }

  window.kaimingStatic = {compute, sci, pyG};
  const start = () => document.querySelectorAll(".kl-explorer").forEach(setUp);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
