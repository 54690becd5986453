#include "chrome_page_script.h"

namespace ec::rs {

namespace {

// Plain ES2017, no page globals trusted beyond the DOM itself. Every read is defensive:
// pages overwrite prototypes, throw from getters and hold invalid JSON-LD.
constexpr const char* kCaptureFn = R"JS((function (strip, limit) {
  'use strict';
  var d = document, out = { url: '', nav_status: 0, status_meta: '', header_metas: [], stripped: 0 };
  try { out.url = String(location.href); } catch (e) {}
  try {
    var nav = performance.getEntriesByType('navigation')[0];
    if (nav && typeof nav.responseStatus === 'number') out.nav_status = nav.responseStatus;
  } catch (e) {}
  function clean(s, max) {
    s = String(s == null ? '' : s).replace(/\s+/g, ' ').trim();
    return s.length > max ? s.slice(0, max) : s;
  }
  function attr(el, name) { var v = el.getAttribute(name); return v == null ? '' : String(v); }
  function abs(href) { try { return new URL(href, d.baseURI).href; } catch (e) { return href; } }
  var seo = { title: '', description: '', canonical: '', robots: '', googlebot: '', h1: [], h2: [], h3: [],
              hreflang: [], ld_types: [] };
  try {
    var metas = d.getElementsByTagName('meta');
    for (var i = 0; i < metas.length; i++) {
      var m = metas[i], name = attr(m, 'name').trim().toLowerCase(), content = attr(m, 'content');
      if (name === 'prerender-status-code') { if (!out.status_meta) out.status_meta = content.trim(); }
      else if (name === 'prerender-header') out.header_metas.push(content.trim());
      else if (name === 'description') { if (!seo.description) seo.description = clean(content, 1000); }
      else if (name === 'robots') { seo.robots = seo.robots ? seo.robots + ', ' + content.trim() : content.trim(); }
      else if (name === 'googlebot') { seo.googlebot = seo.googlebot ? seo.googlebot + ', ' + content.trim() : content.trim(); }
    }
  } catch (e) {}
  try {
    var t = d.getElementsByTagName('title')[0];
    seo.title = clean(t ? t.textContent : d.title, 500);
  } catch (e) {}
  try {
    var links = d.getElementsByTagName('link');
    for (var j = 0; j < links.length; j++) {
      var l = links[j], rel = ' ' + attr(l, 'rel').toLowerCase().replace(/\s+/g, ' ') + ' ';
      if (!seo.canonical && rel.indexOf(' canonical ') >= 0 && attr(l, 'href').trim())
        seo.canonical = abs(attr(l, 'href').trim());
      if (rel.indexOf(' alternate ') >= 0 && l.hasAttribute('hreflang'))
        seo.hreflang.push([attr(l, 'hreflang').trim(), abs(attr(l, 'href').trim())]);
    }
  } catch (e) {}
  ['h1', 'h2', 'h3'].forEach(function (tag) {
    try {
      var hs = d.getElementsByTagName(tag);
      for (var k = 0; k < hs.length && seo[tag].length < 5; k++) {
        var txt = clean(hs[k].textContent, 500);
        if (txt) seo[tag].push(txt);
      }
    } catch (e) {}
  });
  try {
    var seen = {};
    var walk = function (v, depth) {
      if (depth > 10 || v == null || typeof v !== 'object') return;
      if (Array.isArray(v)) { for (var a = 0; a < v.length; a++) walk(v[a], depth + 1); return; }
      var ty = v['@type'];
      (Array.isArray(ty) ? ty : [ty]).forEach(function (x) {
        if (typeof x === 'string' && x && !seen[x]) { seen[x] = 1; seo.ld_types.push(x); }
      });
      for (var key in v) if (Object.prototype.hasOwnProperty.call(v, key) && key !== '@type') walk(v[key], depth + 1);
    };
    var lds = d.querySelectorAll('script[type]');
    for (var s = 0; s < lds.length; s++) {
      if (attr(lds[s], 'type').trim().toLowerCase() !== 'application/ld+json') continue;
      var text = lds[s].textContent;
      if (text.length > 1048576) continue;
      try { walk(JSON.parse(text), 0); } catch (e) {}
    }
  } catch (e) {}
  out.seo = seo;
  if (strip) {
    try {
      var scripts = d.getElementsByTagName('script'), doomed = [];
      for (var n = 0; n < scripts.length; n++) {
        var type = attr(scripts[n], 'type').trim().toLowerCase();
        if (!scripts[n].hasAttribute('type') || type === '' || type === 'text/javascript' || type === 'module' ||
            type === 'application/javascript') doomed.push(scripts[n]);
      }
      var ls = d.getElementsByTagName('link');
      for (var q = 0; q < ls.length; q++) {
        var r = ' ' + attr(ls[q], 'rel').toLowerCase().replace(/\s+/g, ' ') + ' ';
        if (r.indexOf(' import ') >= 0 || r.indexOf(' modulepreload ') >= 0 ||
            (r.indexOf(' preload ') >= 0 && attr(ls[q], 'as').trim().toLowerCase() === 'script')) doomed.push(ls[q]);
      }
      for (var z = 0; z < doomed.length; z++) if (doomed[z].parentNode) doomed[z].parentNode.removeChild(doomed[z]);
      out.stripped = doomed.length;
    } catch (e) {}
  }
  var html = '';
  try {
    if (d.doctype) html = new XMLSerializer().serializeToString(d.doctype);
    html += d.documentElement ? d.documentElement.outerHTML : '';
  } catch (e) {}
  if (html.length > limit) { out.too_large = true; out.html_length = html.length; }
  else out.html = html;
  return out;
}))JS";

}  // namespace

std::string page_capture_expression(bool strip_scripts, size_t max_html) {
    std::string e = kCaptureFn;
    e += "(";
    e += strip_scripts ? "true" : "false";
    e += ",";
    e += std::to_string(max_html);
    e += ")";
    return e;
}

}  // namespace ec::rs
