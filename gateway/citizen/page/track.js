/*
 * 办件查询 page script: plain DOM, no framework, no build step. Server data is only ever written
 * with textContent (never innerHTML), and the phone digits stay in this closure: they go out in a
 * POST body, never in a URL or in storage.
 */
(function () {
  'use strict';

  var CASE_NO = /^KC-(LW|NH)-\d{8}-\d{6,}$/;
  var MESSAGES = {
    caseNo: '请输入正确的办件编号，例如 KC-LW-20261121-000123',
    phoneLast4: '请输入申请时所留手机号的后四位数字',
    notFound: '未找到匹配的办件，请核对办件编号和手机号后四位',
    rateLimited: '查询过于频繁，请稍后再试',
    network: '网络连接失败，请检查网络后重试',
    server: '系统繁忙，请稍后再试',
  };

  var $ = function (id) { return document.getElementById(id); };
  // What was last looked up: rating repeats the check with the same number and digits.
  var current = null;
  // Counts finished lookups on <main data-lookups>, so tests can tell when an answer is on screen.
  var finishedLookups = 0;
  var finishedRatings = 0;
  function finished() {
    finishedLookups += 1;
    document.querySelector('main').setAttribute('data-lookups', String(finishedLookups));
  }

  /** yyyy-MM-dd HH:mm in Beijing time, whatever the phone's own time zone. */
  function beijingTime(iso) {
    var ms = Date.parse(iso);
    if (isNaN(ms)) return '';
    var d = new Date(ms + 8 * 3600 * 1000);
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    return d.getUTCFullYear() + '-' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate()) + ' ' + two(d.getUTCHours()) + ':' + two(d.getUTCMinutes());
  }

  function el(tag, className, text, testId) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (testId) node.setAttribute('data-testid', testId);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function show(node, visible) { node.hidden = !visible; }

  function showError(message) {
    $('error').textContent = message;
    show($('error'), true);
  }

  function setLoading(loading) {
    show($('loading'), loading);
    $('lookup-button').disabled = loading;
    $('lookup-button').textContent = loading ? '查询中…' : '查询';
    $('result').setAttribute('aria-busy', loading ? 'true' : 'false');
  }

  function deadlineText(d) {
    if (!d) return '—';
    if (d.state === 'not_started') return '尚未开始计时（承诺 ' + d.promisedDays + ' 个工作日）';
    if (d.paused) return '计时已暂停（补正或法定中止期间不计时）';
    if (d.state === 'completed') return d.completedOn + ' 已办结' + (d.onTime === false ? '（超期）' : '');
    return d.date + (d.overdue ? '（已超期）' : '');
  }

  function timelineItem(main, when, where, testId) {
    var li = el('li', null, null, testId);
    li.appendChild(el('span', 'when', when, testId ? testId + '-time' : null));
    li.appendChild(el('span', 'what', main, testId ? testId + '-text' : null));
    if (where) li.appendChild(el('span', 'where', where, testId ? testId + '-location' : null));
    return li;
  }

  function renderParcel(p) {
    var box = el('article', 'parcel', null, 'parcel');
    var head = el('div', 'parcel-head');
    head.appendChild(el('span', 'parcel-kind', p.kindLabel, 'parcel-kind'));
    head.appendChild(el('span', 'parcel-status' + (p.status === 'delivered' ? ' delivered' : ''), p.statusLabel, 'parcel-status'));
    box.appendChild(head);
    var carrier = el('p', 'parcel-carrier', p.carrierLabel + ' 运单号 ', 'parcel-carrier');
    carrier.appendChild(el('span', 'parcel-waybill', p.waybill, 'parcel-waybill'));
    box.appendChild(carrier);
    if (!p.events.length) {
      box.appendChild(el('p', 'muted', '暂无物流轨迹'));
      return box;
    }
    var list = el('ol', 'timeline', null, 'parcel-events');
    p.events.forEach(function (e) {
      list.appendChild(timelineItem(e.text || e.statusLabel, beijingTime(e.eventTime), e.location, 'parcel-event'));
    });
    box.appendChild(list);
    return box;
  }

  function renderRating(view) {
    var r = view.rating;
    show($('rating'), r.canRate || !!r.rating);
    show($('rating-ask'), r.canRate);
    show($('rating-error'), false);
    show($('rating-done'), !!r.rating);
    $('rating-done').textContent = r.rating ? '您的评价：' + r.ratingLabel + '。感谢您的反馈！' : '';
  }

  function render(view) {
    $('case-state').textContent = view.stateLabel;
    $('case-no-value').textContent = view.caseNo;
    $('matter-name').textContent = view.matterName || '—';
    $('origin-name').textContent = view.originDistrictName;
    $('handling-name').textContent = view.handlingDistrictName;
    $('created-at').textContent = beijingTime(view.createdAt);
    var deadline = $('deadline');
    deadline.textContent = deadlineText(view.deadline);
    deadline.className = view.deadline && view.deadline.overdue ? 'overdue' : view.deadline && view.deadline.paused ? 'paused' : '';

    var resultLine = $('result-line');
    show(resultLine, !!view.result);
    resultLine.textContent = view.result ? '办理结果：' + view.result.decisionLabel + '（' + view.result.documentName + '）' + (view.resultDelivered ? '，已送达' : '') : '';

    var milestones = $('milestones');
    clear(milestones);
    view.progress.forEach(function (m) {
      milestones.appendChild(timelineItem(m.label, beijingTime(m.at), null, 'milestone'));
    });

    var parcels = $('parcels');
    clear(parcels);
    view.parcels.forEach(function (p) { parcels.appendChild(renderParcel(p)); });
    show($('no-parcels'), view.parcels.length === 0);

    renderRating(view);
    show($('result'), true);
  }

  /** The Chinese message for a failed call: the server's own where it gave one. */
  function messageOf(status, body, headers) {
    var error = body && body.error;
    if (status === 429) {
      var after = Number(headers.get('Retry-After'));
      if (after > 0) return MESSAGES.rateLimited + '（约 ' + Math.ceil(after / 60) + ' 分钟后可再试）';
      return MESSAGES.rateLimited;
    }
    if (status === 404) return MESSAGES.notFound;
    if (status === 422 && error && error.issues && error.issues.length) {
      return error.issues.map(function (i) { return i.message; }).join('；');
    }
    if (error && error.message && status < 500 && /[\u4e00-\u9fff]/.test(error.message)) return error.message;
    return MESSAGES.server;
  }

  /** POSTs JSON; always resolves: { ok, status, body, message } (message: the Chinese words for a failure). */
  function post(path, payload) {
    return fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(payload),
      credentials: 'same-origin',
      cache: 'no-store',
    }).then(
      function (res) {
        return res.json().catch(function () { return null; }).then(function (body) {
          // A 200 without a readable body (a proxy's page) is a failure too.
          var ok = res.ok && body !== null;
          return { ok: ok, status: res.status, body: body, message: ok ? null : messageOf(res.status, body, res.headers) };
        });
      },
      function () { return { ok: false, status: 0, body: null, message: MESSAGES.network }; },
    );
  }

  function onSubmit(event) {
    event.preventDefault();
    show($('error'), false);
    // Full-width characters from a Chinese keyboard are read as meant (the server does the same).
    var caseNo = $('case-no').value.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
    var last4 = $('phone-last4').value.normalize('NFKC').trim();
    var problems = [];
    if (!CASE_NO.test(caseNo)) problems.push(MESSAGES.caseNo);
    if (!/^\d{4}$/.test(last4)) problems.push(MESSAGES.phoneLast4);
    if (problems.length) {
      showError(problems.join('；'));
      finished();
      return;
    }
    setLoading(true);
    post('/api/v1/track', { caseNo: caseNo, phoneLast4: last4 }).then(function (r) {
      setLoading(false);
      if (!r.ok) {
        current = null;
        show($('result'), false);
        showError(r.message);
        finished();
        return;
      }
      current = { caseNo: caseNo, phoneLast4: last4 };
      render(r.body);
      finished();
    });
  }

  function onRate(event) {
    var button = event.target.closest('button[data-rating]');
    if (!button || !current) return;
    var buttons = document.querySelectorAll('#rating button');
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    show($('rating-error'), false);
    var payload = { caseNo: current.caseNo, phoneLast4: current.phoneLast4, rating: button.getAttribute('data-rating') };
    post('/api/v1/track/rating', payload).then(function (r) {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      if (r.ok) {
        render(r.body);
      } else {
        $('rating-error').textContent = r.message;
        show($('rating-error'), true);
      }
      finishedRatings += 1;
      $('rating').setAttribute('data-ratings', String(finishedRatings));
    });
  }

  $('lookup-form').addEventListener('submit', onSubmit);
  $('rating').addEventListener('click', onRate);
})();
