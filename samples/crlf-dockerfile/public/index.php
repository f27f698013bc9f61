<?php
echo 'env: ' . getenv('APP_ENV');
