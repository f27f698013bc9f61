console.log('notifier ready');
