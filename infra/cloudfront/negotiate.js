// affiche content negotiation: CloudFront Function (cloudfront-js-2.0), viewer-request event.
// A port of affiche/local/negotiation.py `resolve`; both pass infra/negotiation-vectors.json.
// The function only rewrites the URI to the object key: S3 objects carry their own
// Content-Type (the writer stores index.json as application/activity+json), and because the
// cache key uses the rewritten URI, HTML and JSON are cached apart without varying on Accept.
// This code is inlined in infra/template.yaml (NegotiateFunction); tests/infra checks they match.
// Deleted objects answer 410 Gone: the outbox puts each deleted object's folder in the
// distribution's KeyValueStore (affiche/publish/gone_index.py), its Tombstone as the value.

import cf from 'cloudfront';

var GONE_HTML = '<!doctype html><html lang="en"><meta charset="utf-8"><meta name="robots" ' +
    'content="noindex"><title>Removed</title><main><h1>This page was removed</h1><p>What was ' +
    'published here has been deleted.</p><p><a href="/">Back to the home page</a></p></main></html>';

var AP_TYPE = 'application/activity+json';
var AS_PROFILE = 'https://www.w3.org/ns/activitystreams';
var FIXED = {
    '/.well-known/nodeinfo': '.well-known/nodeinfo.json',
    '/.well-known/host-meta': '.well-known/host-meta.xml',
    '/nodeinfo/2.1': 'nodeinfo/2.1.json',
    '/actor': 'actor.json'
};
var ACTOR_COLLECTION = /^\/@([^\/]+)\/(outbox|followers|following|events|posts)$/;
var CONTROL = /[\x00-\x1f\x7f]/;
var MEDIA_TYPE = /^[a-z0-9!#$%&'*+.^_`|~-]+\/[a-z0-9!#$%&'*+.^_`|~-]+$/;
var QVALUE = /^(0(\.[0-9]*)?|1(\.0*)?)$/;
var HTML_TYPES = ['text/html', 'application/xhtml+xml'];
// Only the first ranges count: a function has about 1 ms (affiche/local/negotiation.py).
var MAX_RANGES = 16;

function trimOws(s) {
    // By hand: a global regex replace costs ~20 us per call under njs, three calls per range.
    var start = 0;
    var end = s.length;
    while (start < end && (s.charAt(start) === ' ' || s.charAt(start) === '\t')) {
        start++;
    }
    while (end > start && (s.charAt(end - 1) === ' ' || s.charAt(end - 1) === '\t')) {
        end--;
    }
    return s.slice(start, end);
}

// Decoded path without its query, or null when it must not reach the bucket.
function cleanPath(path) {
    var decoded;
    try {
        decoded = decodeURIComponent(path.split('?')[0]);
    } catch (e) {
        return null;
    }
    if (CONTROL.test(decoded) || decoded.charAt(0) !== '/') {
        return null;
    }
    var segments = decoded.split('/');
    for (var i = 0; i < segments.length; i++) {
        if (segments[i] === '.' || segments[i] === '..') {
            return null;
        }
    }
    return decoded;
}

// Split on sep outside double-quoted strings (a profile URI list may hold , or ;).
function splitUnquoted(text, sep) {
    if (text.indexOf('"') < 0) {
        return text.split(sep);  // the common case, and far cheaper at the edge than the loop
    }
    var parts = [];
    var buf = '';
    var quoted = false;
    var escaped = false;
    for (var i = 0; i < text.length; i++) {
        var ch = text.charAt(i);
        if (quoted) {
            if (escaped) {
                escaped = false;
            } else if (ch === '\\') {
                escaped = true;
            } else if (ch === '"') {
                quoted = false;
            }
        } else if (ch === '"') {
            quoted = true;
        } else if (ch === sep) {
            parts.push(buf);
            buf = '';
            continue;
        }
        buf += ch;
    }
    parts.push(buf);
    return parts;
}

function unquoteValue(value) {
    if (value.length >= 2 && value.charAt(0) === '"' && value.charAt(value.length - 1) === '"') {
        return value.slice(1, -1).replace(/\\([\s\S])/g, '$1');
    }
    return value;
}

// {media, params, q} or null for a malformed range, which is ignored.
function parseRange(text) {
    var pieces = splitUnquoted(text, ';');
    var media = trimOws(pieces[0]).toLowerCase();
    if (!MEDIA_TYPE.test(media)) {
        return null;
    }
    var params = {};
    for (var i = 1; i < pieces.length; i++) {
        var eq = pieces[i].indexOf('=');
        if (eq < 0) {
            continue;
        }
        var name = trimOws(pieces[i].slice(0, eq)).toLowerCase();
        params[name] = unquoteValue(trimOws(pieces[i].slice(eq + 1)));
    }
    var q = params.hasOwnProperty('q') ? params.q : '1';
    if (!QVALUE.test(q)) {
        return null;
    }
    return { media: media, params: params, q: parseFloat(q) };
}

function parseAccept(accept) {
    var ranges = [];
    var parts = splitUnquoted(accept, ',');
    for (var i = 0; i < parts.length && i < MAX_RANGES; i++) {
        var range = parseRange(parts[i]);
        if (range !== null) {
            ranges.push(range);
        }
    }
    return ranges;
}

// q the client gives media: the most specific matching range wins (RFC 9110 section 12.5.1).
function quality(ranges, media) {
    var major = media.split('/')[0] + '/*';
    var bestRank = -1;
    var bestQ = 0;
    for (var i = 0; i < ranges.length; i++) {
        var candidate = ranges[i].media;
        var rank = candidate === media ? 2 : candidate === major ? 1 : candidate === '*/*' ? 0 : -1;
        if (rank > bestRank) {
            bestRank = rank;
            bestQ = ranges[i].q;
        } else if (rank === bestRank && rank >= 0) {
            bestQ = Math.max(bestQ, ranges[i].q);
        }
    }
    return bestQ;
}

function isActivityPub(range) {
    if (range.media === AP_TYPE) {
        return true;
    }
    // The profile parameter is a space-separated list of URIs (JSON-LD 1.1 section 9).
    var profile = range.params.hasOwnProperty('profile') ? range.params.profile : '';
    var profiles = profile.toLowerCase().split(/[ \t]+/);
    return range.media === 'application/ld+json' && profiles.indexOf(AS_PROFILE) >= 0;
}

// ActivityPub named explicitly and not less preferred than HTML; wildcards never select JSON.
function wantsActivityPub(accept) {
    if (!accept) {
        return false;
    }
    var ranges = parseAccept(accept);
    var qAp = 0;
    for (var i = 0; i < ranges.length; i++) {
        if (isActivityPub(ranges[i])) {
            qAp = Math.max(qAp, ranges[i].q);
        }
    }
    var qHtml = Math.max(quality(ranges, HTML_TYPES[0]), quality(ranges, HTML_TYPES[1]));
    return qAp > 0 && qAp >= qHtml;
}

// Object key for a path ('' when rejected), as affiche.local.negotiation.resolve.
function resolveKey(path, accept) {
    var clean = cleanPath(path);
    if (clean === null) {
        return '';
    }
    if (FIXED.hasOwnProperty(clean)) {
        return FIXED[clean];
    }
    var collection = ACTOR_COLLECTION.exec(clean);
    if (collection) {
        return '@' + collection[1] + '/' + collection[2] + '.json';
    }
    var last = clean.slice(clean.lastIndexOf('/') + 1);
    if (last && last.indexOf('.') >= 0) {
        return clean.slice(1);
    }
    var folder = clean.charAt(clean.length - 1) === '/' ? clean : clean + '/';
    return folder.slice(1) + (wantsActivityPub(accept) ? 'index.json' : 'index.html');
}

// Re-encode the decoded key for S3, which decodes the URI once; '@' stays readable.
function keyToUri(key) {
    var segments = key.split('/');
    for (var i = 0; i < segments.length; i++) {
        segments[i] = encodeURIComponent(segments[i]).replace(/%40/g, '@');
    }
    return '/' + segments.join('/');
}

function acceptHeader(headers) {
    var header = headers.accept;
    if (!header) {
        return null;
    }
    if (header.multiValue && header.multiValue.length > 1) {
        var values = [];
        for (var i = 0; i < header.multiValue.length; i++) {
            values.push(header.multiValue[i].value);
        }
        return values.join(',');
    }
    return header.value;
}

// The Tombstone of the deleted object whose folder holds key, or null (also when the store
// cannot be read: serving the bucket's answer, a 404, beats failing the request).
async function tombstoneFor(key) {
    var cut = key.lastIndexOf('/');
    if (cut <= 0) {
        return null;
    }
    try {
        return await cf.kvs().get(key.slice(0, cut));
    } catch (e) {
        return null;  // not a deleted folder (get throws for a missing key)
    }
}

function gone(key, tombstone) {
    var json = key.slice(-5) === '.json';
    return {
        statusCode: 410,
        statusDescription: 'Gone',
        headers: {
            'content-type': { value: json ? AP_TYPE : 'text/html; charset=utf-8' },
            'cache-control': { value: 'public, max-age=0, s-maxage=60' }
        },
        body: { encoding: 'text', data: json ? tombstone : GONE_HTML }
    };
}

async function handler(event) {
    var request = event.request;
    var key = resolveKey(request.uri, acceptHeader(request.headers || {}));
    if (key === '') {
        // Never forward the empty key: that would be a request for the bucket root.
        return { statusCode: 404, statusDescription: 'Not Found' };
    }
    var tombstone = await tombstoneFor(key);
    if (tombstone !== null) {
        return gone(key, tombstone);
    }
    request.uri = keyToUri(key);
    return request;
}

if (typeof module !== 'undefined') { module.exports = { handler }; }
