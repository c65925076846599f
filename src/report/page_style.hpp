// The look shared by actlab's HTML pages (the tour, the study report): one stylesheet, so
// the pages read as one product. Each page appends the rules only it needs.
#pragma once

namespace actlab::report {

inline constexpr const char* kBaseStyle = R"(
body{margin:0;background:#f6f7f9;color:#1d232b;font:17px/1.6 "DejaVu Sans",system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic",sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 28px 48px;background:#fff;box-shadow:0 0 24px rgba(0,0,0,.06)}
h1{font-size:2em;margin:.4em 0 .2em;color:#102a43}
h2{font-size:1.45em;margin:1.8em 0 .5em;padding-bottom:.2em;border-bottom:2px solid #d9e2ec;color:#102a43}
h3{font-size:1.15em;margin:1.6em 0 .3em;color:#243b53}
p{margin:.6em 0;max-width:62em}
.lead{font-size:1.08em;color:#334e68}
nav{background:#f0f4f8;border-radius:8px;padding:10px 18px;margin:16px 0}
nav ol{margin:.3em 0;padding-left:1.4em}
nav a,figcaption a{color:#0b5cad;text-decoration:none}
figure{margin:14px 0 18px;text-align:center}
figure img{max-width:100%;height:auto;border:1px solid #e4e7eb;border-radius:4px}
figcaption{font-size:.9em;color:#52606d;margin-top:6px;text-align:left;max-width:62em}
.scroll{overflow-x:auto;margin:10px 0}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #d9e2ec;padding:4px 10px;text-align:left;white-space:nowrap}
th{background:#f0f4f8}
table.num td{text-align:right;font-variant-numeric:tabular-nums}
table.num td:first-child{text-align:left}
tbody tr:nth-child(even){background:#fafbfc}
.note{border-left:4px solid #2680c2;background:#eef6fc;padding:8px 14px;margin:12px 0;border-radius:0 6px 6px 0}
footer{margin-top:40px;font-size:.85em;color:#7b8794;border-top:1px solid #e4e7eb;padding-top:10px}
)";

}  // namespace actlab::report
