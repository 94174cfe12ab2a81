import { overhead } from './overhead';
overhead({ quick: true, log: (m) => console.error(m) }).then((rows) => { console.table(rows); process.exit(0); }, (e) => { console.error(e); process.exit(1); });
