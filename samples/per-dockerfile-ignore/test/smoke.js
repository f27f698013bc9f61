require('../index.js');
