module.exports = [
  { method: 'GET', path: '/todos' },
  { method: 'POST', path: '/todos' },
];
