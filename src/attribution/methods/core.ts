/** The core methods, registered wherever explain() is imported (pathlight/core); the others register from their own modules. */
import './grad.js';
import './gradxinput.js';
import './ig.js';
import './idgi.js';
