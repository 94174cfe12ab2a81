import { storedIpOf, truncateIp } from './ip-privacy';

describe('truncateIp', () => {
  test.each([
    ['203.0.113.77', '203.0.113.0'],
    ['10.1.2.3', '10.1.2.0'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1::'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::'],
    ['2001:db8::1', '2001:db8::'],
    ['2001:0:0:1::1', '2001::'],
    ['::1', '::'],
    ['fe80::1%eth0', 'fe80::'],
    // IPv6 addresses that carry an IPv4 one: no more than its /24 is kept.
    ['64:ff9b::192.0.2.33', '64:ff9b::192.0.2.0'],
    ['64:ff9b::c000:221', '64:ff9b::192.0.2.0'],
    ['::ffff:5102:458e', '81.2.69.0'],
    ['::ffff:81.2.69.142', '81.2.69.0'],
    ['0:0:0:0:0:ffff:5102:458e', '81.2.69.0'],
    ['2002:5102:458e::', '2002:5102:4500::'],
    ['2002:5102:458e:1:2:3:4:5', '2002:5102:4500::'],
    ['2002:cb00:71ff::1', '2002:cb00:7100::'],
    ['2002:a00:1::', '2002:a00::'],
    ['2002::5102:458e', '2002::'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db8:ffff::'],
    ['', ''],
  ])('%s → %s', (ip, network) => {
    expect(truncateIp(ip)).toBe(network);
  });

  test('keeps no more than the network: no host bits survive, for random addresses', () => {
    for (let i = 0; i < 200; i++) {
      const groups = Array.from({ length: 8 }, () => Math.floor(Math.random() * 0x10000).toString(16));
      if (groups[0] === '2002' || groups[0] === '64') groups[0] = '2001'; // the prefixes above
      const network = truncateIp(groups.join(':'));
      const expected = groups.slice(0, 3).map((g) => parseInt(g, 16));
      while (expected.length && expected[expected.length - 1] === 0) expected.pop();
      expect(network).toBe(`${expected.map((g) => g.toString(16)).join(':')}::`);
    }
  });
});

describe('storedIpOf', () => {
  test('validates, unmaps IPv4-mapped addresses, truncates when asked', () => {
    const full = storedIpOf('full');
    const truncate = storedIpOf('truncate');
    expect(full('::ffff:203.0.113.9')).toEqual({ full: '203.0.113.9', stored: '203.0.113.9' });
    expect(truncate('::ffff:203.0.113.9')).toEqual({ full: '203.0.113.9', stored: '203.0.113.0' });
    expect(truncate('<script>')).toEqual({ full: '', stored: '' });
    expect(full('2001:db8:1:2::3').stored).toBe('2001:db8:1:2::3');
    expect(truncate('2001:db8:1:2::3').stored).toBe('2001:db8:1::');
    // Memoized answers are the same answers.
    expect(truncate('2001:db8:1:2::3')).toEqual({ full: '2001:db8:1:2::3', stored: '2001:db8:1::' });
  });
});
