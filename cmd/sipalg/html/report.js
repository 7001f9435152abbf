// sipalg HTML report: dialog ladders, message details and the findings
// table, drawn from the JSON block. Text from the captures only ever
// reaches the page through textContent and attribute values, never markup.
(function () {
  'use strict';
  // The JSON block comes in parts (parsed as one element, Chromium took
  // seconds a megabyte of a large report to take it in).
  // Once parsed, the parts leave the page: their text is not needed again.
  var parts = document.querySelectorAll('script.sipalg-data');
  var data = JSON.parse(Array.prototype.map.call(parts, function (e) { return e.textContent; }).join(''));
  parts.forEach(function (e) { e.remove(); });
  var params = new URLSearchParams(location.search);
  var SVGNS = 'http://www.w3.org/2000/svg';
  var DIALOG_PAGE = 200;  // dialog summaries listed before "show more"
  var FINDING_PAGE = 500; // finding rows drawn before "show more"
  var GAP_S = 1;          // a pause longer than this gets its own ladder row

  var msgByID = new Map();
  data.messages.forEach(function (m) { msgByID.set(m.id, m); });
  var dialogByID = new Map();
  data.dialogs.forEach(function (d) { dialogByID.set(d.id, d); });

  // el makes an element; attrs are set as attributes, children appended
  // (strings become text nodes).
  function mk(ns, tag, attrs, children) {
    var e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, String(attrs[k]));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return e;
  }
  function el(tag, attrs) { return mk(null, tag, attrs, Array.prototype.slice.call(arguments, 2)); }
  function sv(tag, attrs) { return mk(SVGNS, tag, attrs, Array.prototype.slice.call(arguments, 2)); }

  function fmtT(t) { return (t >= 0 ? '+' : '') + t.toFixed(3) + ' s'; }
  function label(m) {
    return m.status !== null ? m.status + ' ' + m.method : m.method;
  }
  function frames(m) {
    var s = [];
    if (m.lan_frame !== null) s.push('LAN ' + m.lan_frame);
    if (m.wan_frame !== null) s.push('WAN ' + m.wan_frame);
    return s.join(' / ');
  }
  // beforeAfter writes "before → after": an absent value (an added or
  // removed field) as (none), an empty one as "".
  function beforeAfter(b, a, kind) {
    if (b === '') b = kind === 'added' ? '(none)' : '""';
    if (a === '') a = kind === 'removed' ? '(none)' : '""';
    return b + ' → ' + a;
  }
  function changeKind(f) {
    var m = f.message_id !== null && msgByID.get(f.message_id);
    var c = m && m.changes.find(function (c) { return c.field === f.field; });
    return c ? c.kind : '';
  }

  // ---- dialogs list ----------------------------------------------------

  var dlist = document.getElementById('dialogs');
  var dText = document.getElementById('d-text');
  var dProblems = document.getElementById('d-problems');
  var dCount = document.getElementById('d-count');
  var dShown = DIALOG_PAGE;

  function problem(d) {
    return (d.verdicts.bad || 0) + (d.verdicts.warning || 0) + d.dropped + d.generated > 0;
  }
  function dialogMatches(d, q) {
    if (dProblems.checked && !problem(d)) return false;
    if (!q) return true;
    var hay = [d.method, String(d.id)].concat(d.call_ids_lan, d.call_ids_wan, d.tags);
    d.messages.forEach(function (id) {
      var m = msgByID.get(id);
      if (m.lan_frame !== null) hay.push(String(m.lan_frame));
      if (m.wan_frame !== null) hay.push(String(m.wan_frame));
    });
    return hay.join(' ').toLowerCase().indexOf(q) >= 0;
  }

  function dialogSummary(d) {
    var s = el('summary', { 'class': 'dsum' });
    s.appendChild(el('span', { 'class': 'method' }, d.method || '?'));
    s.appendChild(el('span', { 'class': 'muted' }, '#' + d.id + ' · ' + d.messages.length + ' messages · ' + fmtT(d.t0) + ' … ' + fmtT(d.t1) + ' · '));
    var lan = d.call_ids_lan.join(', '), wan = d.call_ids_wan.join(', ');
    var changed = lan && wan && lan !== wan;
    s.appendChild(el('span', { 'class': 'cid mono' + (changed ? ' changed' : ''), title: changed ? 'Call-ID differs between the sides' : 'Call-ID' },
      changed ? 'LAN ' + lan + ' → WAN ' + wan : (lan || wan)));
    var tags = el('span', { 'class': 'tags' });
    ['bad', 'warning', 'info', 'correct'].forEach(function (v) {
      if (d.verdicts[v]) tags.appendChild(el('span', { 'class': 'pill v-' + v }, d.verdicts[v] + ' ' + v));
    });
    if (d.dropped) tags.appendChild(el('span', { 'class': 'pill v-bad' }, d.dropped + ' dropped'));
    if (d.generated) tags.appendChild(el('span', { 'class': 'pill generated' }, d.generated + ' generated'));
    s.appendChild(tags);
    return s;
  }

  function renderDialogList() {
    var q = dText.value.trim().toLowerCase();
    dlist.textContent = '';
    var matching = data.dialogs.filter(function (d) { return dialogMatches(d, q); });
    matching.slice(0, dShown).forEach(function (d) {
      var det = el('details', { 'class': 'dialog' + (problem(d) ? ' problem' : ''), id: 'dialog-' + d.id, 'data-dialog': d.id });
      det.appendChild(dialogSummary(d));
      det.appendChild(el('div', { 'class': 'dialog-body' }));
      det.addEventListener('toggle', function () { if (det.open) ensureLadder(d, det); });
      dlist.appendChild(det);
    });
    if (matching.length > dShown) {
      var b = el('button', { type: 'button', 'class': 'more' }, 'show ' + Math.min(DIALOG_PAGE, matching.length - dShown) + ' more dialogs');
      b.addEventListener('click', function () { dShown += DIALOG_PAGE; renderDialogList(); });
      dlist.appendChild(b);
    }
    dCount.textContent = matching.length + ' of ' + data.dialogs.length + ' dialogs' +
      (dProblems.checked ? ' (those with problems; untick the box to list every dialog)' : '');
  }

  // dialogElement returns the dialog's <details>, listing it if a filter or
  // the page limit hid it.
  function dialogElement(id) {
    var det = document.getElementById('dialog-' + id);
    if (!det) {
      dText.value = ''; dProblems.checked = false;
      var idx = data.dialogs.findIndex(function (d) { return d.id === id; });
      dShown = Math.max(dShown, idx + 1);
      renderDialogList();
      det = document.getElementById('dialog-' + id);
    }
    return det;
  }

  // ---- ladder ------------------------------------------------------------

  // Columns: phone | router LAN side … router WAN side | server.
  var X = { time: 6, phone: 150, rlan: 410, rwan: 530, server: 790, width: 860 };
  var ROW = 34, TOP = 56, GAPROW = 22;

  function ensureLadder(d, det) {
    var body = det.querySelector('.dialog-body');
    if (body.getAttribute('data-drawn')) return body;
    body.setAttribute('data-drawn', '1');
    body.appendChild(ladder(d));
    body.appendChild(el('div', { 'class': 'msg-detail-slot' }));
    return body;
  }

  // endpoints names the ladder's columns from the first message that shows
  // each: the phone's LAN address, the public address the router used, the
  // server's address.
  function endpoints(msgs) {
    var ep = { phone: '', pub: '', server: '' };
    msgs.forEach(function (m) {
      var out = m.dir === 'outbound';
      ep.phone = ep.phone || (out ? m.lan_src : m.lan_dst);
      ep.pub = ep.pub || (out ? m.wan_src : m.wan_dst);
      ep.server = ep.server || (out ? m.wan_dst : m.wan_src);
    });
    return ep;
  }

  function arrow(g, x1, x2, y) {
    g.appendChild(sv('line', { 'class': 'arrow', x1: x1, y1: y, x2: x2 + (x2 > x1 ? -6 : 6), y2: y }));
    var dx = x2 > x1 ? -9 : 9;
    g.appendChild(sv('path', { 'class': 'head', d: 'M' + x2 + ' ' + y + ' l' + dx + ' -4.5 l0 9 z' }));
  }
  function cross(g, x, y) {
    g.appendChild(sv('path', { 'class': 'x', d: 'M' + (x - 5) + ' ' + (y - 5) + ' l10 10 m0 -10 l-10 10' }));
  }

  function ladder(d) {
    var msgs = d.messages.map(function (id) { return msgByID.get(id); });
    var rows = [], y = TOP, prevT = null;
    msgs.forEach(function (m) {
      if (prevT !== null && m.t - prevT > GAP_S) {
        rows.push({ gap: m.t - prevT, y: y });
        y += GAPROW;
      }
      rows.push({ m: m, y: y });
      y += ROW;
      prevT = m.t;
    });
    var media = d.media || [];
    if (media.length) {
      rows.push({ mediaHead: true, y: y });
      y += GAPROW;
      media.forEach(function (st) { rows.push({ st: st, y: y }); y += ROW; });
    }
    var h = y + 10;
    var ep = endpoints(msgs);
    var s = sv('svg', { 'class': 'ladder', width: X.width, height: h, viewBox: '0 0 ' + X.width + ' ' + h, role: 'img', 'aria-label': 'ladder of dialog ' + d.id });
    s.appendChild(sv('rect', { 'class': 'router', x: X.rlan, y: 32, width: X.rwan - X.rlan, height: h - 36, rx: 4 }));
    s.appendChild(sv('text', { 'class': 'col lan', x: X.phone, y: 14, 'text-anchor': 'middle' }, 'phone (LAN)'));
    s.appendChild(sv('text', { 'class': 'col', x: (X.rlan + X.rwan) / 2, y: 14, 'text-anchor': 'middle' }, 'router'));
    s.appendChild(sv('text', { 'class': 'col wan', x: X.server, y: 14, 'text-anchor': 'middle' }, 'server (WAN)'));
    s.appendChild(sv('text', { 'class': 'addr', x: X.phone, y: 27, 'text-anchor': 'middle' }, ep.phone));
    s.appendChild(sv('text', { 'class': 'addr', x: X.rwan, y: 27, 'text-anchor': 'middle' }, ep.pub));
    s.appendChild(sv('text', { 'class': 'addr', x: X.server, y: 27, 'text-anchor': 'middle' }, ep.server));
    s.appendChild(sv('text', { 'class': 'col lan', x: X.rlan + 4, y: 45 }, 'LAN'));
    s.appendChild(sv('text', { 'class': 'col wan', x: X.rwan - 4, y: 45, 'text-anchor': 'end' }, 'WAN'));
    s.appendChild(sv('text', { 'class': 'time', x: X.time, y: 14 }, 'LAN clock'));
    [X.phone, X.server].forEach(function (x) {
      s.appendChild(sv('line', { 'class': 'lifeline', x1: x, y1: 32, x2: x, y2: h - 4 }));
    });
    rows.forEach(function (r) {
      if (r.mediaHead) {
        s.appendChild(sv('text', { 'class': 'gap', x: (X.phone + X.server) / 2, y: r.y + 14, 'text-anchor': 'middle' }, 'media (RTP) of this call'));
        return;
      }
      if (r.st) { s.appendChild(streamRow(r.st, r.y)); return; }
      if (r.gap !== undefined) {
        s.appendChild(sv('text', { 'class': 'gap', x: (X.phone + X.server) / 2, y: r.y + 14, 'text-anchor': 'middle' }, '⋯ ' + r.gap.toFixed(1) + ' s later ⋯'));
        return;
      }
      s.appendChild(messageRow(r.m, r.y));
    });
    s.addEventListener('click', function (ev) {
      var g = ev.target.closest('g.msg');
      if (g) select(Number(g.getAttribute('data-msg')));
    });
    s.addEventListener('keydown', function (ev) {
      var g = ev.target.closest && ev.target.closest('g.msg');
      if (g && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); select(Number(g.getAttribute('data-msg'))); }
    });
    return s;
  }

  // streamRow draws one RTP stream across the router: what entered, what
  // left, what the router lost on the way.
  function streamRow(st, y0) {
    var y = y0 + 20, out = st.dir === 'outbound';
    var bad = st.left === 0 || st.stopped >= 10 || st.loss_pct >= 1;
    var g = sv('g', { 'class': 'stream ' + st.dir + (bad ? ' bad' : st.lost > 0 ? ' lossy' : '') });
    var lost = st.lost ? 'lost ' + st.lost + ' (' + st.loss_pct + ' %, run ' + st.max_burst + ')' : 'none lost';
    var what = 'RTP ' + st.ssrc + ' · ' + st.entered + ' in → ' + st.left + ' out · ' + lost +
      (st.has_delays ? ' · p99 ' + st.delay_p99.toFixed(3) + ' ms' : '');
    g.appendChild(sv('title', null, what + (st.one_way ? ' · one-way audio' : '') + (st.stopped >= 10 ? ' · stopped crossing: last ' + st.stopped + ' lost' : '')));
    g.appendChild(sv('text', { 'class': 'time', x: X.time, y: y + 4 }, fmtT(st.t0)));
    var lx = (X.phone + X.rlan) / 2, wx = (X.rwan + X.server) / 2;
    // The side it enters always has packets; the side it leaves only if
    // some crossed.
    if (out) arrow(g, X.phone, X.rlan, y); else arrow(g, X.server, X.rwan, y);
    if (st.left > 0) {
      g.appendChild(sv('line', { 'class': 'cross', x1: X.rlan, y1: y, x2: X.rwan, y2: y }));
      if (out) arrow(g, X.rwan, X.server, y); else arrow(g, X.rlan, X.phone, y);
    } else {
      cross(g, out ? X.rlan + 10 : X.rwan - 10, y);
    }
    g.appendChild(sv('text', { 'class': 'label', x: out ? lx : wx, y: y - 5, 'text-anchor': 'middle' }, 'RTP ' + st.ssrc + ' ',
      sv('tspan', { 'class': 'frame' }, st.entered + ' in')));
    var note = st.left === 0 ? '✕ none crossed' : st.left + ' out · ' + lost;
    if (st.stopped >= 10) note += ' · stopped crossing';
    if (st.one_way) note += ' · one-way';
    g.appendChild(sv('text', { 'class': 'label' + (bad ? ' note dropped' : ''), x: out ? wx : lx, y: y - 5, 'text-anchor': 'middle' }, note));
    return g;
  }

  function messageRow(m, y0) {
    var y = y0 + 20;
    var out = m.dir === 'outbound';
    var cls = 'msg ' + m.dir + ' ' + m.state + (m.retrans ? ' retrans' : '');
    var g = sv('g', { 'class': cls, 'data-msg': m.id, tabindex: 0, role: 'button',
      'aria-label': 'message ' + m.id + ' ' + label(m) + ' ' + m.state });
    g.appendChild(sv('rect', { 'class': 'hit', x: 0, y: y0 + 2, width: X.width, height: ROW - 2 }));
    g.appendChild(sv('title', null, label(m) + ' · ' + m.dir + ' · ' + m.state + ' · ' + frames(m) + (m.retrans ? ' · retransmission' : '')));
    g.appendChild(sv('text', { 'class': 'time', x: X.time, y: y + 4 }, fmtT(m.t)));
    var lanSeen = m.lan_frame !== null, wanSeen = m.wan_frame !== null;
    var text = label(m) + (m.retrans ? ' (retr.)' : '');
    // LAN segment: phone ↔ router LAN side.
    var lx = (X.phone + X.rlan) / 2, wx = (X.rwan + X.server) / 2;
    if (lanSeen) {
      if (out) arrow(g, X.phone, X.rlan, y); else arrow(g, X.rlan, X.phone, y);
      g.appendChild(sv('text', { 'class': 'label', x: lx, y: y - 5, 'text-anchor': 'middle' }, text + ' ',
        sv('tspan', { 'class': 'frame' }, '#' + m.lan_frame)));
    }
    if (wanSeen) {
      if (out) arrow(g, X.rwan, X.server, y); else arrow(g, X.server, X.rwan, y);
      g.appendChild(sv('text', { 'class': 'label', x: wx, y: y - 5, 'text-anchor': 'middle' }, text + ' ',
        sv('tspan', { 'class': 'frame' }, '#' + m.wan_frame)));
    }
    if (m.state === 'dropped') {
      cross(g, out ? X.rlan + 10 : X.rwan - 10, y);
      g.appendChild(sv('text', { 'class': 'note dropped', x: out ? wx : lx, y: y + 4, 'text-anchor': 'middle' }, data.away ? '✕ not seen on the ' + (out ? 'WAN' : 'LAN') + ' side (lost on the path or dropped by the router)' : '✕ dropped by the router'));
    } else if (m.state === 'unpaired') {
      g.appendChild(sv('text', { 'class': 'note', x: lanSeen ? wx : lx, y: y + 4, 'text-anchor': 'middle' }, '◌ not paired (a snap length cut it)'));
    } else if (m.state === 'outside') {
      g.appendChild(sv('text', { 'class': 'note', x: lanSeen ? wx : lx, y: y + 4, 'text-anchor': 'middle' }, '◌ outside the other capture'));
    } else if (m.state === 'generated') {
      var sx = out ? X.rwan : X.rlan;
      g.appendChild(sv('text', { 'class': 'star', x: sx, y: y + 5, 'text-anchor': 'middle' }, '★'));
      g.appendChild(sv('text', { 'class': 'note generated', x: out ? lx : wx, y: y + 4, 'text-anchor': 'middle' }, data.away ? '★ not seen on the ' + (out ? 'LAN' : 'WAN') + ' side (sent by the router or by something between the capture points)' : '★ generated by the router'));
    } else {
      g.appendChild(sv('line', { 'class': 'cross', x1: X.rlan, y1: y, x2: X.rwan, y2: y }));
      var n = m.changes.length;
      var v = m.worst || 'none';
      if (n > 0) {
        g.appendChild(sv('rect', { 'class': 'badge v-' + v, x: (X.rlan + X.rwan) / 2 - 17, y: y - 8, width: 34, height: 16, rx: 8 }));
        g.appendChild(sv('text', { 'class': 'badge-text', x: (X.rlan + X.rwan) / 2, y: y + 4, 'text-anchor': 'middle' }, '✎' + n));
      }
    }
    return g;
  }

  // ---- message detail ----------------------------------------------------

  function select(id) {
    if (location.hash !== '#msg-' + id) location.hash = 'msg-' + id; // route() draws it
    else showMessage(id);
  }

  function showMessage(id) {
    var m = msgByID.get(id);
    if (!m) return;
    var d = dialogByID.get(m.dialog);
    if (!d) return;
    var det = dialogElement(d.id);
    if (!det) return;
    det.open = true;
    var body = ensureLadder(d, det);
    body.querySelectorAll('g.msg.selected').forEach(function (g) { g.classList.remove('selected'); });
    var g = body.querySelector('g.msg[data-msg="' + id + '"]');
    if (g) g.classList.add('selected');
    var slot = body.querySelector('.msg-detail-slot');
    slot.textContent = '';
    var panel = detail(m);
    slot.appendChild(panel);
    panel.scrollIntoView({ block: 'nearest' });
  }

  function detail(m) {
    var p = el('div', { 'class': 'msg-detail', id: 'detail-' + m.id, 'data-msg': m.id });
    var head = 'Message ' + m.id + ' · ' + m.dir + ' ' + label(m) + ' · CSeq ' + m.cseq + ' · ' + fmtT(m.t);
    p.appendChild(el('h4', null, head + ' · ', el('span', { 'class': m.state === 'matched' ? '' : m.state }, m.state)));
    var grid = el('div', { 'class': 'grid' });
    var out = m.dir === 'outbound';
    grid.appendChild(sidePane(m, 'lan', out ? 'as the phone sent it' : 'as the router delivered it'));
    grid.appendChild(sidePane(m, 'wan', out ? 'as the router forwarded it' : 'as the server sent it'));
    grid.appendChild(findingsPane(m));
    p.appendChild(grid);
    // Hovering a change lights it up on both sides and in the table.
    p.addEventListener('mouseover', function (ev) { hot(p, ev.target.closest('[data-c]'), true); });
    p.addEventListener('mouseout', function (ev) { hot(p, ev.target.closest('[data-c]'), false); });
    return p;
  }

  function hot(p, t, on) {
    if (!t) return;
    var c = t.getAttribute('data-c').split(' ')[0];
    p.querySelectorAll('[data-c~="' + c + '"]').forEach(function (e) { e.classList.toggle('hot', on); });
  }

  function sidePane(m, side, how) {
    var frame = side === 'lan' ? m.lan_frame : m.wan_frame;
    var text = m[side];
    var box = el('div', { 'class': 'side-pane ' + side });
    var src = m[side + '_src'], dst = m[side + '_dst'];
    box.appendChild(el('h5', null, el('span', { 'class': 'side ' + side }, side.toUpperCase()),
      frame !== null ? ' frame ' + frame + ', ' + how : ' not seen'));
    if (src) box.appendChild(el('div', { 'class': 'endpoints mono' }, m.proto + ' ' + src + ' → ' + dst));
    if (!text) {
      var gen = m.state === 'generated';
      box.appendChild(el('div', { 'class': 'missing' + (gen ? ' generated' : '') },
        m.state === 'outside' ? 'Not on this side: this capture was not running then (outside the time both captures ran).' :
        gen ? 'Not on this side: the router generated this message.' : 'Not on this side: the router dropped this message.'));
      return box;
    }
    if (text.omitted) {
      box.appendChild(el('div', { 'class': 'missing' }, 'Text not embedded (report size limit); open frame ' + frame + ' in Wireshark.'));
      return box;
    }
    var pre = el('pre', { 'class': 'raw' });
    text.segs.forEach(function (s) {
      if (!s.c) { pre.appendChild(document.createTextNode(s.t)); return; }
      var c = m.changes[s.c[0]];
      var mark = el('mark', { 'class': 'chg v-' + (c.verdict || 'none') + (s.t === '' ? ' ins' : ''), 'data-c': s.c.join(' '),
        title: c.field + ' (' + c.kind + (c.verdict ? ', ' + c.verdict : '') + ')' }, s.t);
      pre.appendChild(mark);
    });
    box.appendChild(pre);
    if (text.cut) box.appendChild(el('p', { 'class': 'muted' }, 'Cut: the message has ' + text.bytes + ' bytes.'));
    return box;
  }

  function findingItem(f) {
    return el('div', { 'class': 'finding' },
      el('b', { 'class': 'v-' + f.verdict }, f.rule), ' ', el('span', { 'class': 'pill v-' + f.verdict }, f.verdict), ' ',
      el('small', null, f.severity),
      el('div', { 'class': 'expl' }, f.explanation),
      f.refs && f.refs.length ? el('small', null, 'refs: ' + f.refs.join('; ')) : null);
  }

  // findingsPane lists the changed fields, each with its findings, then
  // the message's findings about no one changed field.
  function findingsPane(m) {
    var box = el('div', { 'class': 'findings-pane' });
    box.appendChild(el('h5', null, m.changes.length + ' changed field' + (m.changes.length === 1 ? '' : 's') + ', ' + m.findings.length + ' finding' + (m.findings.length === 1 ? '' : 's')));
    var listed = new Set();
    if (m.changes.length) {
      var t = el('table', { 'class': 'changes' }, el('thead', null, el('tr', null, el('th', null, 'field'), el('th', null, 'before → after'), el('th', null, 'finding'))));
      var tb = el('tbody');
      m.changes.forEach(function (c, i) {
        var cell = el('td');
        c.findings.forEach(function (fi) { listed.add(fi); cell.appendChild(findingItem(data.findings[fi])); });
        if (!c.findings.length) cell.appendChild(el('span', { 'class': 'muted' }, 'no finding'));
        tb.appendChild(el('tr', { 'class': 'change cv-' + (c.verdict || 'none'), 'data-c': i },
          el('td', { 'class': 'val field' }, c.field, el('br'), el('small', null, c.kind)),
          el('td', { 'class': 'val' }, beforeAfter(c.before, c.after, c.kind)),
          cell));
      });
      t.appendChild(tb);
      box.appendChild(t);
    }
    var rest = m.findings.filter(function (fi) { return !listed.has(fi); });
    if (rest.length) {
      box.appendChild(el('h5', null, m.changes.length ? 'Other findings on this message' : 'Findings on this message'));
      rest.forEach(function (fi) { box.appendChild(findingItem(data.findings[fi])); });
    } else if (!m.findings.length) {
      box.appendChild(el('p', { 'class': 'muted' }, 'No finding on this message.'));
    }
    return box;
  }

  // ---- findings table ----------------------------------------------------

  var fForm = document.getElementById('finding-filters');
  var fRule = document.getElementById('f-rule');
  var fText = document.getElementById('f-text');
  var fCount = document.getElementById('f-count');
  var fBody = document.querySelector('#findings tbody');
  var fMore = document.getElementById('findings-more');
  var fShown = FINDING_PAGE;

  function verdictsChecked() {
    var on = {};
    fForm.querySelectorAll('input[name=verdict]').forEach(function (c) { on[c.value] = c.checked; });
    return on;
  }

  function renderFindings() {
    var on = verdictsChecked(), rule = fRule.value, q = fText.value.trim().toLowerCase();
    var rows = [];
    data.findings.forEach(function (f, i) {
      if (!on[f.verdict]) return;
      if (rule && f.rule !== rule) return;
      if (q && [f.rule, f.field, f.before, f.after, f.method, f.explanation].join(' ').toLowerCase().indexOf(q) < 0) return;
      rows.push(i);
    });
    fBody.textContent = '';
    rows.slice(0, fShown).forEach(function (i) {
      var f = data.findings[i];
      var tr = el('tr', { 'data-finding': i, 'data-verdict': f.verdict, 'data-rule': f.rule, 'data-msg': f.message_id },
        el('td', { title: f.explanation }, f.rule),
        el('td', { 'class': 'v-' + f.verdict }, f.verdict),
        el('td', null, f.severity),
        el('td', null, f.message_id === null ? '' : String(f.message_id)),
        el('td', null, f.direction),
        el('td', null, f.method),
        el('td', null, f.lan_frame === null ? '' : String(f.lan_frame)),
        el('td', null, f.wan_frame === null ? '' : String(f.wan_frame)),
        el('td', { 'class': 'val field' }, f.field),
        el('td', { 'class': 'val' }, f.field || f.before || f.after ? beforeAfter(f.before, f.after, changeKind(f)) : ''));
      fBody.appendChild(tr);
    });
    fMore.textContent = '';
    if (rows.length > fShown) {
      var b = el('button', { type: 'button', 'class': 'more' }, 'show all ' + rows.length + ' findings');
      b.addEventListener('click', function () { fShown = Infinity; renderFindings(); });
      fMore.appendChild(b);
    }
    fCount.textContent = rows.length + ' of ' + data.findings.length + ' findings';
  }

  fBody.addEventListener('click', function (ev) {
    var tr = ev.target.closest('tr');
    var id = tr && tr.getAttribute('data-msg');
    if (id) select(Number(id));
  });
  fForm.addEventListener('change', function () { fShown = FINDING_PAGE; renderFindings(); });
  fText.addEventListener('input', function () { fShown = FINDING_PAGE; renderFindings(); });
  fForm.addEventListener('submit', function (ev) { ev.preventDefault(); });

  // ---- start -------------------------------------------------------------

  // Query parameters preset the filters: ?verdict=bad,warning&rule=ID&q=text,
  // ?problems=1, ?open=all (every ladder drawn, e.g. for printing).
  if (params.has('verdict')) {
    var want = params.get('verdict').split(',');
    fForm.querySelectorAll('input[name=verdict]').forEach(function (c) { c.checked = want.indexOf(c.value) >= 0; });
  }
  if (params.has('rule')) {
    var r = params.get('rule');
    if (!Array.prototype.some.call(fRule.options, function (o) { return o.value === r; })) {
      fRule.appendChild(el('option', { value: r }, r + ' (0)'));
    }
    fRule.value = r;
  }
  if (params.has('q')) fText.value = params.get('q');
  // A report of more dialogs than one page lists the dialogs with problems
  // first (the box is ticked; unticking it lists every dialog); ?problems=0
  // or =1 says which.
  if (params.has('problems')) dProblems.checked = params.get('problems') === '1';
  else if (data.dialogs.length > DIALOG_PAGE && data.dialogs.some(problem)) dProblems.checked = true;

  dText.addEventListener('input', function () { dShown = DIALOG_PAGE; renderDialogList(); });
  dProblems.addEventListener('change', function () { dShown = DIALOG_PAGE; renderDialogList(); });
  function openAll() {
    dShown = Infinity;
    renderDialogList();
    dlist.querySelectorAll('details.dialog').forEach(function (det) { det.open = true; ensureLadder(dialogByID.get(Number(det.getAttribute('data-dialog'))), det); });
  }
  document.getElementById('d-open-all').addEventListener('click', openAll);

  function route() {
    var h = location.hash.slice(1);
    var mm = /^msg-(\d+)$/.exec(h), dm = /^dialog-(\d+)$/.exec(h);
    if (mm) showMessage(Number(mm[1]));
    else if (dm) {
      var det = dialogElement(Number(dm[1]));
      if (det) { det.open = true; ensureLadder(dialogByID.get(Number(dm[1])), det); det.scrollIntoView(); }
    }
  }
  window.addEventListener('hashchange', route);

  renderDialogList();
  renderFindings();
  if (params.get('open') === 'all') openAll();
  route();
  document.documentElement.setAttribute('data-ready', '1');
})();
