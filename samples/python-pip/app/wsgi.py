from app import app as application
