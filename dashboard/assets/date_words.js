/* The date pickers' own words in Chinese: dcc.DatePickerSingle/Range format their weekday and month names
 * with date-fns, in the locale found in window.dateFns.locale (English when it holds none). A Chinese page
 * (URL ?lang=zh, else the saferank_lang cookie, else the default, Chinese) gets this small zh locale, so the
 * calendar reads 一 二 三 … and 3月 instead of Mo Tu We … and March; an English page gets none. */
(function () {
    function pageLang() {
        var asked = new URLSearchParams(window.location.search).get("lang");
        if (asked === "zh" || asked === "en") { return asked; }
        var cookie = document.cookie.match(/(?:^|;\s*)saferank_lang=(zh|en)/);
        return cookie ? cookie[1] : "zh";
    }
    var DAYS = ["日", "一", "二", "三", "四", "五", "六"];
    var MONTHS = ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"];
    function number(text) {  // a match function: the leading number of the text
        var found = /^\d+/.exec(text);
        return found ? {value: parseInt(found[0], 10), rest: text.slice(found[0].length)} : null;
    }
    function index(words) {  // a match function over a list of words
        return function (text) {
            for (var i = 0; i < words.length; i++) {
                if (text.indexOf(words[i]) === 0) { return {value: i, rest: text.slice(words[i].length)}; }
            }
            return null;
        };
    }
    var zh = {
        code: "zh-CN",
        formatDistance: function (token, count) { return String(count); },
        formatRelative: function () { return "yyyy-MM-dd"; },
        formatLong: {
            date: function () { return "yyyy-MM-dd"; },
            time: function () { return "HH:mm:ss"; },
            dateTime: function () { return "{{date}} {{time}}"; }
        },
        localize: {
            ordinalNumber: function (n) { return String(n); },
            era: function (n) { return n ? "公元" : "公元前"; },
            quarter: function (n) { return "第" + n + "季度"; },
            month: function (n) { return MONTHS[n]; },
            day: function (n, options) { return (options && options.width === "wide" ? "星期" : "") + DAYS[n]; },
            dayPeriod: function (n) { return n === "am" ? "上午" : "下午"; }
        },
        match: {
            ordinalNumber: number,
            era: index(["公元前", "公元"]),
            quarter: function (text) { var m = /^第(\d)季度/.exec(text); return m ? {value: +m[1], rest: text.slice(m[0].length)} : null; },
            month: function (text) { var m = /^(\d{1,2})月/.exec(text); return m ? {value: m[1] - 1, rest: text.slice(m[0].length)} : null; },
            day: index(DAYS),
            dayPeriod: index(["上午", "下午"])
        },
        options: {weekStartsOn: 1, firstWeekContainsDate: 4}
    };
    var none = {};
    window.dateFns = window.dateFns || {};
    Object.defineProperty(window.dateFns, "locale", {
        configurable: true,
        get: function () { return pageLang() === "zh" ? {zhCN: zh} : none; }
    });
})();
